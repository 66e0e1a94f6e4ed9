import { createServer, type RequestListener, type Server } from 'node:http';
import type { Logger } from '../observability/logger.ts';

export interface StartServerOptions {
  readonly host: string;
  readonly port: number;
  /** How long in-flight revocations may take to finish after SIGTERM. */
  readonly graceSeconds: number;
  readonly logger: Logger;
  /** Runs once nothing is in flight (or the grace ran out): final checkpoint, close stores. */
  readonly onDrained: () => Promise<void>;
  /** Install SIGTERM/SIGINT handlers (the process entry point does; tests call drain()). */
  readonly handleSignals?: boolean;
  /** What to do when draining ends; defaults to process.exit. */
  readonly exit?: (code: number) => void;
}

export interface RunningServer extends Server {
  /** Stop accepting, let in-flight requests finish (bounded by the grace), then onDrained. */
  drain(): Promise<number>;
}

/**
 * Listens and owns the shutdown sequence. On the first SIGTERM (or SIGINT) the server stops
 * accepting connections, lets in-flight requests finish with their audit outcomes, runs
 * onDrained and exits 0 (1 if the grace ran out first). A second signal exits at once.
 */
export async function startServer(
  listener: RequestListener,
  options: StartServerOptions,
): Promise<RunningServer> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let inFlight = 0;
  let draining: Promise<number> | undefined;
  const idleWaiters = new Set<() => void>();

  const server = createServer((req, res) => {
    inFlight += 1;
    if (draining) res.setHeader('Connection', 'close');
    res.once('close', () => {
      inFlight -= 1;
      if (inFlight === 0) for (const wake of idleWaiters) wake();
    });
    listener(req, res);
  }) as RunningServer;
  // Bound slow clients; a revocation itself is bounded by upstream.deadlineMs.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;

  server.drain = () => {
    draining ??= (async () => {
      options.logger.info(
        { inFlight },
        'draining: no new connections, finishing in-flight requests',
      );
      server.close();
      server.closeIdleConnections();
      const finished = await waitForIdle(options.graceSeconds * 1000);
      if (!finished) {
        options.logger.warn({ inFlight }, 'grace period over with requests still in flight');
        server.closeAllConnections();
      }
      await options.onDrained();
      options.logger.info('drained');
      return finished ? 0 : 1;
    })();
    return draining;
  };

  function waitForIdle(timeoutMs: number): Promise<boolean> {
    if (inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        idleWaiters.delete(wake);
        resolve(true);
      };
      const timer = setTimeout(() => {
        idleWaiters.delete(wake);
        resolve(false);
      }, timeoutMs);
      idleWaiters.add(wake);
    });
  }

  if (options.handleSignals ?? true) {
    const onSignal = (signal: NodeJS.Signals) => {
      if (draining) {
        options.logger.warn({ signal }, 'second signal: exiting at once');
        exit(1);
        return;
      }
      options.logger.info({ signal }, 'shutdown requested');
      server.drain().then(exit, (error: unknown) => {
        options.logger.error({ err: error }, 'drain failed');
        exit(1);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
