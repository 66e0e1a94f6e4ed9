// `npm run config:check`: load the configuration exactly as `npm start` would, print every
// problem (exit 1) or a summary without secrets (exit 0). Both show the endpoint each project's
// services resolve to, as far as they do.

import { EndpointConfigError } from '../cloud/endpoint-config-error.ts';
import { formatEndpoints } from '../cloud/format-endpoints.ts';
import { resolveEndpoints } from '../cloud/resolve-endpoints.ts';
import { ConfigError } from './config-error.ts';
import { ENV_VARIABLES } from './env-table.ts';
import { configFilePath, loadConfig } from './load-config.ts';

const SECRET_KEYS = new Set(
  ENV_VARIABLES.filter((variable) => variable.secret).map((variable) => variable.key.join('.')),
);

try {
  const config = loadConfig(process.env);
  console.log(`configuration OK (${configFilePath(process.env)})`);
  console.log(formatEndpoints(resolveEndpoints(config.cloud).projects));
  console.log(JSON.stringify(redact(config, []), null, 2));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  if (error instanceof EndpointConfigError) console.log(formatEndpoints(error.projects));
  console.error(error.message);
  process.exitCode = 1;
}

function redact(value: unknown, path: readonly string[]): unknown {
  if (SECRET_KEYS.has(path.join('.'))) return '[set]';
  if (Array.isArray(value))
    return value.map((item, index) => redact(item, [...path, String(index)]));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [key, redact(child, [...path, key])]),
    );
  }
  return value;
}
