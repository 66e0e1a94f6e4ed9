// The stricter token rules beyond issuer, audience, expiry and algorithm (README "Callers"),
// each a setting of `identity.jwt` with a documented default: a required `typ` header, `iat`
// not in the future, a maximum token age, and `crit` header parameters the gateway accepts.
// jose enforces `typ`, `maxTokenAge` and `crit`; what jose does not check (a future `iat`
// without a maximum age) or does not say in a caller-usable way (which `crit` entry it did not
// recognize) is done here.

import { decodeProtectedHeader, type JWTVerifyOptions } from 'jose';

export interface JwtStrictConfig {
  /** The `typ` header every token must carry (compared as jose does, `application/` optional). */
  readonly requiredType?: string | undefined;
  /** The most seconds since `iat` a token is accepted for; tokens then need `iat`. */
  readonly maxTokenAgeSeconds?: number | undefined;
  /** Refuse an `iat` later than now plus the clock tolerance. */
  readonly refuseFutureIat: boolean;
  /** Extension header parameters a token may list in `crit`; any other is refused. */
  readonly criticalHeaders: readonly string[];
}

/** The jose options that carry these rules. */
export function strictVerifyOptions(config: JwtStrictConfig): JWTVerifyOptions {
  return {
    ...(config.requiredType === undefined ? {} : { typ: config.requiredType }),
    ...(config.maxTokenAgeSeconds === undefined ? {} : { maxTokenAge: config.maxTokenAgeSeconds }),
    ...(config.criticalHeaders.length === 0
      ? {}
      : { crit: Object.fromEntries(config.criticalHeaders.map((name) => [name, true])) }),
  };
}

/** jose itself understands `b64` (RFC 7797). */
const UNDERSTOOD = ['b64'];
/** A parameter name shown back to the caller: short and plain, else not named. */
const SHOWABLE_NAME = /^[A-Za-z0-9_.-]{1,40}$/;

/**
 * The detail for a token whose `crit` lists a parameter the gateway does not accept, naming it
 * when it is a plain name (a caller's SSO may add one the gateway should be told to accept);
 * undefined when the token's `crit` is not the reason.
 */
export function unrecognizedCriticalDetail(
  token: string,
  config: JwtStrictConfig,
): string | undefined {
  let crit: unknown;
  try {
    crit = decodeProtectedHeader(token).crit;
  } catch {
    return undefined;
  }
  if (!Array.isArray(crit)) return undefined;
  const accepted = new Set([...UNDERSTOOD, ...config.criticalHeaders]);
  const unknown = crit.find((name) => typeof name !== 'string' || !accepted.has(name)) as unknown;
  if (unknown === undefined) return undefined;
  return typeof unknown === 'string' && SHOWABLE_NAME.test(unknown)
    ? `The token's "crit" header lists "${unknown}", an extension this gateway does not accept (identity.jwt.criticalHeaders).`
    : `The token's "crit" header lists an extension this gateway does not accept.`;
}

/** Whether `iat` is later than now plus the tolerance (jose checks this only with a max age). */
export function issuedInFuture(
  payload: Record<string, unknown>,
  nowSeconds: number,
  toleranceSeconds: number,
): boolean {
  return typeof payload.iat === 'number' && payload.iat > nowSeconds + toleranceSeconds;
}
