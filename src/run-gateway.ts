// The process, loaded by main.ts: load the configuration, compose the dependencies, listen, and
// drain on SIGTERM. With main.ts, the only module that reads process.env.

import type { AddressInfo } from 'node:net';
import { createApp } from './app.ts';
import { composeDeps } from './compose.ts';
import { ConfigError } from './config/config-error.ts';
import { explainConfigError } from './config/explain-config-error.ts';
import { loadConfig } from './config/load-config.ts';
import { explainListenError } from './http/explain-listen-error.ts';
import { startServer } from './http/start-server.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(explainConfigError(error, process.env));
      process.exit(1);
    }
    throw error;
  }

  const composition = await composeDeps(config);
  const { logger } = composition.deps;
  const server = await startServer(createApp(composition.deps), {
    host: config.server.host,
    port: config.server.port,
    graceSeconds: config.server.shutdownGraceSeconds,
    logger,
    onDrained: () => composition.close(),
  });
  const address = server.address() as AddressInfo;
  logger.info(
    { host: address.address, port: address.port, auditStore: config.audit.store },
    `rescind listening on http://${address.address}:${address.port}`,
  );
}

main().catch((error: unknown) => {
  const hint = explainListenError(error);
  console.error(
    'rescind failed to start:',
    hint ?? (error instanceof Error ? error.message : error),
  );
  process.exit(1);
});
