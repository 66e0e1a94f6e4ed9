// A stand-in for the company SSO, for the demo and for tests: a fresh key pair, its public JWKS,
// and a `sign` that mints caller JWTs. It never runs in production paths.

import { writeFile } from 'node:fs/promises';
import {
  SignJWT,
  calculateJwkThumbprint,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
} from 'jose';

export type DevIssuerAlgorithm = 'ES256' | 'EdDSA' | 'RS256';

export interface DevIssuerOptions {
  readonly issuer: string;
  readonly audience: string;
  /** Default ES256. */
  readonly algorithm?: DevIssuerAlgorithm;
  /** Epoch ms for `iat`, `exp` and `nbf`; defaults to Date.now. */
  readonly clock?: () => number;
}

export interface DevClaims {
  readonly sub: string;
  readonly groups?: readonly string[];
  readonly email?: string;
  /** Any other claim; `iss` and `aud` here override the issuer's own. */
  readonly [claim: string]: unknown;
}

export interface DevSignOptions {
  /** Seconds from now (negative: already expired) or `30s`/`5m`/`2h`/`1d` (may be negative). Default 5m. */
  readonly expiresIn?: string | number;
  /** Seconds from now before which the token is not valid (`nbf`); omitted by default. */
  readonly notBefore?: string | number;
  /** Overrides the `kid` header (e.g. one the JWKS does not hold). */
  readonly kid?: string;
  /** Protected header members added or replaced (`typ`, `crit` and its parameters…). */
  readonly header?: Readonly<Record<string, unknown>>;
  /** Overrides `iat`, seconds from now (may be positive: issued in the future). */
  readonly issuedAt?: number;
}

export interface DevIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly algorithm: DevIssuerAlgorithm;
  readonly kid: string;
  /** The public JWKS to configure the gateway with (`jwksFile` or served at `jwksUrl`). */
  readonly jwks: JSONWebKeySet;
  readonly publicJwk: JWK;
  /** The public key as SPKI PEM. */
  publicKeyPem(): Promise<string>;
  /** Writes the public JWKS to `path` (for `identity.jwt.jwksFile`). */
  writeJwksFile(path: string): Promise<void>;
  sign(claims: DevClaims, options?: DevSignOptions): Promise<string>;
}

const DEFAULT_LIFETIME_SECONDS = 5 * 60;
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

export async function createDevIssuer(options: DevIssuerOptions): Promise<DevIssuer> {
  const algorithm = options.algorithm ?? 'ES256';
  const clock = options.clock ?? Date.now;
  const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true });
  const exported = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(exported);
  const publicJwk: JWK = { ...exported, kid, alg: algorithm, use: 'sig' };
  const jwks: JSONWebKeySet = { keys: [publicJwk] };

  return {
    issuer: options.issuer,
    audience: options.audience,
    algorithm,
    kid,
    jwks,
    publicJwk,
    publicKeyPem: () => exportSPKI(publicKey),
    async writeJwksFile(path) {
      await writeFile(path, `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o644 });
    },
    sign: (claims, signOptions = {}) =>
      signToken(privateKey, claims, signOptions, {
        algorithm,
        kid,
        issuer: options.issuer,
        audience: options.audience,
        now: Math.floor(clock() / 1000),
      }),
  };
}

interface SigningContext {
  readonly algorithm: DevIssuerAlgorithm;
  readonly kid: string;
  readonly issuer: string;
  readonly audience: string;
  /** Epoch seconds. */
  readonly now: number;
}

async function signToken(
  privateKey: CryptoKey,
  claims: DevClaims,
  options: DevSignOptions,
  context: SigningContext,
): Promise<string> {
  const { now } = context;
  const payload: Record<string, unknown> = {
    iss: context.issuer,
    aud: context.audience,
    iat: now + (options.issuedAt ?? 0),
    exp: now + seconds(options.expiresIn ?? DEFAULT_LIFETIME_SECONDS),
    ...(options.notBefore !== undefined ? { nbf: now + seconds(options.notBefore) } : {}),
    ...claims,
  };
  const header: Record<string, unknown> = { typ: 'JWT', ...options.header };
  const crit = Array.isArray(header.crit) ? (header.crit as unknown[]) : [];
  return await new SignJWT(payload)
    .setProtectedHeader({ ...header, alg: context.algorithm, kid: options.kid ?? context.kid })
    .sign(privateKey, {
      // jose refuses to sign a `crit` it does not know unless told the parameters are understood.
      crit: Object.fromEntries(crit.map((name) => [String(name), true])),
    });
}

function seconds(value: string | number): number {
  if (typeof value === 'number') return Math.trunc(value);
  const match = /^(-?\d+)\s*([smhd])$/.exec(value.trim());
  const unit = match?.[2] === undefined ? undefined : UNITS[match[2]];
  if (match?.[1] === undefined || unit === undefined) {
    throw new TypeError(`not a duration: ${value} (use e.g. 30s, 5m, 2h, 1d, or seconds)`);
  }
  return Number(match[1]) * unit;
}
