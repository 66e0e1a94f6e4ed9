import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import { ConfigError } from '../config/config-error.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import { ProblemError } from '../problems/problem-error.ts';
import type { Caller, CallerEvidence, CallerResolver } from './caller.ts';
import { readEmail, readGroupsClaim, readSubject } from './identity-values.ts';
import { createRemoteKeySet } from './remote-key-set.ts';
import {
  issuedInFuture,
  strictVerifyOptions,
  unrecognizedCriticalDetail,
} from './jwt-strict-checks.ts';

export type JwtIdentityConfig = Config['identity']['jwt'];

export interface JwtCallerResolverOptions {
  readonly logger: Logger;
  /** Epoch ms; decides `exp` and `nbf`. The JWKS cache keeps real time. */
  readonly clock?: () => number;
  /** Bound on one JWKS fetch. */
  readonly jwksTimeoutMs?: number;
  /** How long a verified token is believed without checking its signature again; 0 disables. */
  readonly verifiedTokenTtlMs?: number;
}

export const DEFAULT_JWKS_TIMEOUT_MS = 5_000;

/**
 * A caller sends the same JWT with every request until it expires, and checking its signature
 * (ES256/RS256) was the largest single cost of a revocation (docs/benchmarks.md). A token that
 * verified is therefore believed again for this long, by its exact string, with `exp` and `nbf`
 * checked on every use as verification would. The one thing a reuse does not see is the signing
 * key being withdrawn from the JWKS meanwhile: the window is short next to the JWKS cache itself
 * (`jwksCacheMaxAgeSeconds`, 10 minutes by default), through which a withdrawn key is trusted
 * anyway. Refusals are never remembered.
 */
export const DEFAULT_VERIFIED_TOKEN_TTL_MS = 30_000;
/** Bounds the memory of the cache (a compact JWT is about 1 KB): the oldest entry goes first. */
export const MAX_VERIFIED_TOKENS = 1_000;

interface VerifiedToken {
  readonly caller: Caller;
  /** Epoch seconds, from the token. */
  readonly exp: number;
  readonly nbf: number | undefined;
  readonly iat: number | undefined;
  /** Epoch ms after which the signature is checked again. */
  readonly recheckAt: number;
}

/** Private and symmetric key members: a JWKS the gateway trusts holds public keys only. */
const SECRET_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth', 'priv'];
const BEARER = /^Bearer +([^\s]+) *$/i;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** RFC 6750 §3: a 401 to a Bearer client names the scheme; never describes the token. */
const CHALLENGE = 'Bearer realm="rescind"';
const INVALID_TOKEN_CHALLENGE = 'Bearer realm="rescind", error="invalid_token"';

/**
 * `Authorization: Bearer <JWT>` from the company SSO (docs/api.md "Callers and permissions"), verified against its JWKS:
 * issuer, audience, `exp` (required) and `nbf` with the configured tolerance, and only the
 * configured asymmetric algorithms, so `none`, HS* and a public key reused as an HMAC secret
 * never verify.
 */
export function createJwtCallerResolver(
  config: JwtIdentityConfig,
  options: JwtCallerResolverOptions,
): CallerResolver {
  const { issuer, audience } = config;
  if (issuer === undefined || audience === undefined) {
    throw new TypeError('jwt identity needs issuer and audience (the config schema requires them)');
  }
  const keys = createKeySet(config, options);
  const clock = options.clock ?? Date.now;
  const { logger } = options;
  const groupsClaim = config.groupsClaim;
  const ttlMs = options.verifiedTokenTtlMs ?? DEFAULT_VERIFIED_TOKEN_TTL_MS;
  const tolerance = config.clockToleranceSeconds;
  const verified = new Map<string, VerifiedToken>();
  const maxAge = config.maxTokenAgeSeconds;
  const strict = strictVerifyOptions(config);

  /** The caller of a token verified a moment ago, if its times still hold now. */
  function reuse(token: string): Caller | undefined {
    const entry = verified.get(token);
    if (entry === undefined) return undefined;
    const nowMs = clock();
    const now = nowMs / 1000;
    if (
      nowMs >= entry.recheckAt ||
      now >= entry.exp + tolerance ||
      (entry.nbf !== undefined && now < entry.nbf - tolerance) ||
      (maxAge !== undefined && entry.iat !== undefined && now - entry.iat - tolerance > maxAge)
    ) {
      // Verified again below, which also gives the precise refusal.
      verified.delete(token);
      return undefined;
    }
    return entry.caller;
  }

  function remember(token: string, caller: Caller, payload: Record<string, unknown>): void {
    if (ttlMs <= 0 || typeof payload.exp !== 'number') return;
    if (verified.size >= MAX_VERIFIED_TOKENS) {
      const oldest = verified.keys().next();
      if (oldest.done !== true) verified.delete(oldest.value);
    }
    verified.set(token, {
      caller,
      exp: payload.exp,
      nbf: typeof payload.nbf === 'number' ? payload.nbf : undefined,
      iat: typeof payload.iat === 'number' ? payload.iat : undefined,
      recheckAt: clock() + ttlMs,
    });
  }

  return {
    mode: 'jwt',
    async authenticate(evidence: CallerEvidence): Promise<Caller> {
      const token = readBearerToken(evidence);
      const known = reuse(token);
      if (known !== undefined) return known;
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer,
          audience,
          algorithms: [...config.algorithms],
          clockTolerance: config.clockToleranceSeconds,
          currentDate: new Date(clock()),
          requiredClaims: ['exp', 'sub'],
          ...strict,
        }));
      } catch (error) {
        throw toUnauthenticated(error, logger, () => unrecognizedCriticalDetail(token, config));
      }
      if (config.refuseFutureIat && issuedInFuture(payload, clock() / 1000, tolerance)) {
        throw unauthenticated(ISSUED_IN_FUTURE, true);
      }
      const subject = readSubject(payload.sub);
      if (subject === undefined) {
        throw unauthenticated('The token\'s "sub" claim is not a usable subject.', true);
      }
      const email = readEmail(payload.email);
      const caller: Caller = {
        subject,
        ...(email !== undefined ? { email } : {}),
        groups: readGroupsClaim(payload[groupsClaim]),
        via: 'jwt',
      };
      remember(token, caller, payload);
      return caller;
    },
  };
}

function createKeySet(
  config: JwtIdentityConfig,
  options: JwtCallerResolverOptions,
): JWTVerifyGetKey {
  if (config.jwksUrl !== undefined) {
    return createRemoteKeySet(new URL(config.jwksUrl), {
      // An unknown `kid` refetches (the SSO rotated its keys), but at most once per cooldown,
      // so a flood of tokens with made-up `kid`s cannot turn into a flood of JWKS fetches.
      cooldownMs: config.jwksCooldownSeconds * 1000,
      cacheMaxAgeMs: config.jwksCacheMaxAgeSeconds * 1000,
      timeoutMs: options.jwksTimeoutMs ?? DEFAULT_JWKS_TIMEOUT_MS,
    });
  }
  if (config.jwksFile !== undefined) return createLocalJWKSet(readJwksFile(config.jwksFile));
  throw new TypeError('jwt identity needs jwksUrl or jwksFile (the config schema requires one)');
}

/** Read once at start; a bad file stops start-up naming the key, like any bad config. */
function readJwksFile(path: string): JSONWebKeySet {
  const problem = (message: string) =>
    new ConfigError([{ key: 'identity.jwt.jwksFile', variable: 'RESCIND_JWKS_FILE', message }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw (error as NodeJS.ErrnoException).code === undefined
      ? problem('is not valid JSON')
      : problem(`cannot be read (${String((error as NodeJS.ErrnoException).code)})`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every(isObject)) {
    throw problem('must be a JWKS: {"keys": [ …public JWKs… ]}');
  }
  if (keys.some((key) => SECRET_JWK_MEMBERS.some((member) => member in key))) {
    throw problem('must hold public keys only (found a private or symmetric key)');
  }
  return { keys };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readBearerToken(evidence: CallerEvidence): string {
  // Node keeps only the first of several Authorization headers; refuse rather than pick one.
  const count = evidence.rawHeaders.filter(
    (value, index) => index % 2 === 0 && value.toLowerCase() === 'authorization',
  ).length;
  if (count > 1) throw unauthenticated('The request carries more than one Authorization header.');
  const header = evidence.headers.authorization;
  if (header === undefined || header === '') {
    throw unauthenticated('The request carries no credentials; send Authorization: Bearer <JWT>.');
  }
  const match = BEARER.exec(header);
  if (match?.[1] === undefined) {
    throw unauthenticated('Only the Bearer authorization scheme is accepted.');
  }
  if (!COMPACT_JWS.test(match[1])) {
    throw unauthenticated('The bearer token is malformed (not a signed JWT).', true);
  }
  return match[1];
}

function unauthenticated(detail: string, invalidToken = false): ProblemError {
  return new ProblemError('UNAUTHENTICATED', {
    detail,
    headers: { 'WWW-Authenticate': invalidToken ? INVALID_TOKEN_CHALLENGE : CHALLENGE },
  });
}

/** Claims whose names may appear in a detail; a token's own claim names never do. */
const NAMED_CLAIMS = new Set(['iss', 'aud', 'exp', 'nbf', 'iat', 'sub']);
const ISSUED_IN_FUTURE = 'The token\'s "iat" claim is in the future: it was issued later than now.';

/**
 * Says what was wrong in general terms; never the token, never jose's own message.
 * `criticalDetail` names an unrecognized `crit` entry when that is why jose refused.
 */
function toUnauthenticated(
  error: unknown,
  logger: Logger,
  criticalDetail: () => string | undefined,
): ProblemError {
  const bad = (detail: string) => unauthenticated(detail, true);
  if (error instanceof errors.JWTExpired) {
    return bad(
      error.claim === 'iat'
        ? 'The token is older than this gateway accepts (identity.jwt.maxTokenAgeSeconds).'
        : 'The token has expired.',
    );
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'typ') return bad('The token\'s "typ" header is not the one required.');
    const claim = NAMED_CLAIMS.has(error.claim) ? error.claim : 'a';
    if (error.reason === 'missing') return bad(`The token lacks the required "${claim}" claim.`);
    if (claim === 'iat' && error.reason === 'check_failed') return bad(ISSUED_IN_FUTURE);
    if (claim === 'iss')
      return bad('The token was issued by an issuer this gateway does not trust.');
    if (claim === 'aud') return bad('The token is meant for another audience, not this gateway.');
    if (claim === 'nbf') return bad('The token is not valid yet.');
    return bad(`The token's "${claim}" claim is invalid.`);
  }
  if (error instanceof errors.JOSENotSupported) {
    const detail = criticalDetail();
    if (detail !== undefined) return bad(detail);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return bad('The token is signed with an algorithm this gateway does not accept.');
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return bad('The token is signed with a key the identity provider does not publish.');
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return bad('The token signature is invalid.');
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return bad('The token is malformed.');
  }
  // Not the caller's fault: the keys could not be fetched or used. Still 401 (no identity could
  // be established), logged so the operator sees it; the cause never reaches the caller.
  logger.warn({ err: error }, 'caller token could not be verified: signing keys unavailable');
  return unauthenticated(
    "The token could not be verified: the identity provider's signing keys are unavailable.",
  );
}
