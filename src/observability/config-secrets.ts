// The gateway's own secrets, as the shared redaction (src/text/redact-secrets.ts) matches them: every value
// the env table marks secret (the IAM password, the PostgreSQL and Redis URLs, the checkpoint
// key, and whatever secret a later setting adds), in the form that can come back in text.

import { createPrivateKey } from 'node:crypto';
import { ENV_VARIABLES } from '../config/env-table.ts';
import type { Config } from '../config/schema.ts';
import type { Secret } from '../text/redact-secrets.ts';

/** A connection URL is matched whole: its scheme, host and port are not secret, its password is. */
const WHOLE_ONLY = { minShared: Number.POSITIVE_INFINITY, encodings: false } as const;

export function configSecrets(config: Config): Secret[] {
  const secrets: Secret[] = [];
  for (const variable of ENV_VARIABLES) {
    if (!variable.secret) continue;
    let value: unknown = config;
    for (const key of variable.key) {
      value =
        typeof value === 'object' && value !== null
          ? (value as Record<string, unknown>)[key]
          : undefined;
    }
    if (typeof value === 'string' && value.trim() !== '') secrets.push(...secretFormsOf(value));
  }
  return secrets;
}

function secretFormsOf(value: string): Secret[] {
  if (value.includes('-----BEGIN')) return keySecrets(value);
  const password = urlPassword(value);
  if (password === undefined) return [value];
  return [{ value, ...WHOLE_ONLY }, password];
}

/** The password of a connection URL, decoded; undefined when the value is no URL. */
function urlPassword(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (!url.protocol.endsWith(':') || url.host === '') return undefined;
  if (url.password === '') return '';
  try {
    return decodeURIComponent(url.password);
  } catch {
    return url.password;
  }
}

/**
 * A PEM private key: its base64 body without the DER header every key of its kind shares (which
 * a public key partly shares too), and the private scalar as a JWK `d` would show it.
 */
function keySecrets(pem: string): Secret[] {
  const body = pem
    .split('\n')
    .filter((line) => !line.startsWith('-----'))
    .join('')
    .trim();
  // An Ed25519 PKCS#8 key is 16 fixed bytes and the 32-byte seed: 22 characters are header.
  const secrets: Secret[] = [{ value: body.slice(22), encodings: false }];
  try {
    const jwk = createPrivateKey(pem).export({ format: 'jwk' });
    if (typeof jwk.d === 'string') secrets.push({ value: jwk.d, encodings: false });
  } catch {
    secrets.push({ value: body, encodings: false });
  }
  return secrets;
}
