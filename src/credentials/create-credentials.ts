// The credentials of the configured mode (docs/credentials.md): which object answers the
// revoker's "authorize this upstream request".

import type { Config } from '../config/schema.ts';
import type { TokenProvider } from '../iam/token-provider.ts';
import type { Logger } from '../observability/logger.ts';
import { createMetadataClient } from './fetch-security-key.ts';
import { createMetadataKeySource } from './metadata-key-source.ts';
import {
  createSigningCredentials,
  staticKeySource,
  type KeySource,
} from './signing-credentials.ts';
import { createTokenCredentials, type UpstreamCredentials } from './upstream-credentials.ts';

export interface CredentialsOptions {
  readonly cloud: Config['cloud'];
  /** The token provider of password and oidc modes (unused otherwise). */
  readonly tokens: TokenProvider;
  readonly logger: Logger;
  readonly clock: () => number;
}

export function createCredentials(options: CredentialsOptions): UpstreamCredentials {
  const { credentials, iam } = options.cloud;
  const mode = credentials.mode;
  if (mode === 'password' || mode === 'oidc') return createTokenCredentials(options.tokens, mode);
  const domainId = required(credentials.domainId, 'cloud.credentials.domainId');
  let keys: KeySource;
  if (mode === 'access-key') {
    keys = staticKeySource({
      accessKey: required(credentials.accessKey, 'cloud.credentials.accessKey'),
      secretKey: required(credentials.secretKey, 'cloud.credentials.secretKey'),
    });
  } else {
    const log = options.logger.child({ credentials: 'metadata' });
    keys = createMetadataKeySource({
      client: createMetadataClient({
        url: credentials.metadataUrl,
        timeoutMs: credentials.metadataTimeoutMs,
      }),
      marginMs: iam.tokenRefreshMarginSeconds * 1000,
      clock: options.clock,
      onFetched: (result, expiresAt) => {
        if (result === 'success' && expiresAt !== undefined) {
          log.info({ expiresAt: new Date(expiresAt).toISOString() }, 'temporary key fetched');
        } else {
          log.warn('temporary key fetch failed');
        }
      },
    });
  }
  return createSigningCredentials({ mode, keys, domainId, clock: options.clock });
}

function required(value: string | undefined, key: string): string {
  // The config schema already insists on it in this mode; a hand-built config is told at once.
  if (value === undefined) throw new Error(`${key} is required in this credentials mode`);
  return value;
}
