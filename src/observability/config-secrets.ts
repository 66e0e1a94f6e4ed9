import { ENV_VARIABLES } from '../config/env-table.ts';
import type { Config } from '../config/schema.ts';

/**
 * The configured values of every secret key (the env table marks them: password, connection
 * URLs, the checkpoint key), so that text shown to the outside can be scrubbed of them.
 */
export function configSecrets(config: Config): string[] {
  const secrets: string[] = [];
  for (const variable of ENV_VARIABLES) {
    if (!variable.secret) continue;
    let value: unknown = config;
    for (const key of variable.key) {
      value =
        typeof value === 'object' && value !== null
          ? (value as Record<string, unknown>)[key]
          : undefined;
    }
    if (typeof value === 'string' && value !== '') secrets.push(value, ...credentialsIn(value));
  }
  return secrets;
}

/** The password of a connection URL, decoded, which may also appear alone. */
function credentialsIn(value: string): string[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [];
  }
  if (url.password === '') return [];
  try {
    return [decodeURIComponent(url.password)];
  } catch {
    return [url.password];
  }
}
