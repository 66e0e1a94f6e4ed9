import type { Config } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import type { CallerResolver } from './caller.ts';
import { createJwtCallerResolver } from './jwt-caller-resolver.ts';
import { LOOPBACK_TRUST_WARNING, loopbackCidrs } from './loopback-trust-warning.ts';
import { createTrustedHeadersCallerResolver } from './trusted-headers-caller-resolver.ts';

export interface CallerResolverOptions {
  readonly logger: Logger;
  /** Epoch ms, for token expiry; tests pass a fixed clock. */
  readonly clock?: () => number;
}

/** The identity mode the configuration chose (docs/api.md "Callers and permissions"): `jwt` (default) or trusted headers. */
export function createCallerResolver(
  identity: Config['identity'],
  options: CallerResolverOptions,
): CallerResolver {
  switch (identity.mode) {
    case 'jwt':
      return createJwtCallerResolver(identity.jwt, options);
    case 'trusted-headers': {
      const loopback = loopbackCidrs(identity.trustedProxies);
      if (loopback.length > 0)
        options.logger.warn({ trustedProxies: loopback }, LOOPBACK_TRUST_WARNING);
      return createTrustedHeadersCallerResolver(identity.trustedProxies);
    }
  }
}
