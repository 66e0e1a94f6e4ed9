// The simulator's public types. The gateway's tests, the demo and the benchmark program against
// these names, so they change only together with those callers.
import type { JsonWebKey } from 'node:crypto';

/** The cloud services the simulator speaks for. `iam` is the token endpoint. */
export type SimService = 'iam' | 'scm' | 'apig' | 'kms' | 'modelarts' | 'metadata';

export const SIM_SERVICES: readonly SimService[] = [
  'iam',
  'scm',
  'apig',
  'kms',
  'modelarts',
  'metadata',
];

/** A service account that IAM accepts with the password method. */
export interface SimAccount {
  domain: string;
  domainId: string;
  user: string;
  userId: string;
  password: string;
}

/** An agency that `assume_role` accepts from tokens of `trustedDomain`. */
export interface SimAgency {
  domain: string;
  name: string;
  /** The account domain allowed to assume it. */
  trustedDomain: string;
}

/** A project; `name` is the region, e.g. 'cn-north-4'; ids are 32 lowercase hex characters. */
export interface SimProject {
  id: string;
  name: string;
}

export interface SimulatorOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Service accounts IAM accepts; default [DEMO_ACCOUNT]. */
  accounts?: SimAccount[];
  /** Agencies that assume_role accepts; default [DEMO_AGENCY]. */
  agencies?: SimAgency[];
  /** Default DEMO_PROJECTS. */
  projects?: SimProject[];
  /** Default 86400; short lifetimes (e.g. 3) work. */
  tokenLifetimeSeconds?: number;
  /** Default 9000: real Huawei PKI tokens are ~9 KB and start with "MII". */
  tokenSizeBytes?: number;
  /** Default 'demo': the DEMO_RESOURCES exist at start. */
  seed?: 'demo' | 'none';
  /** ms epoch, default Date.now; token issue and expiry use it. */
  clock?: () => number;
  /**
   * Benchmark mode, default false: every delete of a well-formed id succeeds (resources are
   * treated as always existing and unbound) so a load test can revoke the same ids repeatedly.
   * Token checks and faults still apply.
   */
  autoReseed?: boolean;
  /** How many recorded calls are kept (the oldest are dropped); default 100,000. */
  callLogLimit?: number;
  /** Access keys, OIDC identity providers and the metadata service (sim-credentials.ts). */
  credentials?: SimCredentialOptions;
}

/** A permanent access key of an account (`domain` names one of `accounts`). */
export interface SimAccessKey {
  access: string;
  secret: string;
  domain: string;
}

/** An IAM identity provider that trusts an OIDC issuer's ID tokens (RS256 or ES256). */
export interface SimIdentityProvider {
  /** Sent by the caller as X-Idp-Id. */
  id: string;
  /** The account the federated identity belongs to (one of `accounts`). */
  domain: string;
  issuer: string;
  /** When set, the ID token's `aud` must hold it. */
  audience?: string;
  /** The issuer's public keys (JWK), as its JWKS publishes them. */
  keys: JsonWebKey[];
}

export interface SimMetadataOptions {
  /** Whether the session-token handshake is offered (PUT answers 404 when not); default true. */
  sessionTokens?: boolean;
  /** Lifetime of the temporary keys handed out; default 86400. */
  keyLifetimeSeconds?: number;
  /** The account of the node's agency (one of `accounts`); default the first account. */
  domain?: string;
}

export interface SimCredentialOptions {
  /** Default [DEMO_ACCESS_KEY]. */
  accessKeys?: SimAccessKey[];
  /** Default none. */
  identityProviders?: SimIdentityProvider[];
  metadata?: SimMetadataOptions;
}

/** What the simulator made of an SDK-HMAC-SHA256 signature on a call. */
export interface SignatureCheck {
  /** The signature matched, the key was known and unexpired, and its security token matched. */
  verified: boolean;
  access: string;
  /** `permanent` access key or `temporary` metadata key; `unknown` when the AK is not known. */
  keyKind: 'permanent' | 'temporary' | 'unknown';
  signedHeaders: string[];
  /** Why verification failed. */
  reason?: string;
}

/** A temporary key the metadata service handed out (for canary tests). */
export interface SimTemporaryKey {
  access: string;
  secret: string;
  securityToken: string;
  expiresAt: number;
}

/**
 * The scope of the token a call carried. `invalid` means the simulator does not know the token
 * (never issued, or revoked); an expired token still reports the scope it was issued for.
 */
export type TokenScope =
  { kind: 'project'; projectId: string } | { kind: 'domain'; domain: string } | { kind: 'invalid' };

export interface RecordedCall {
  /** Increases by one per call for the simulator's lifetime; clearCalls() does not reset it. */
  seq: number;
  service: SimService;
  method: string;
  /** The path as received, without the query. */
  path: string;
  query: Record<string, string>;
  /** Lower-cased names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** The raw request body as received ('' when none). */
  body: string;
  /** X-Auth-Token as received. */
  token?: string;
  tokenScope?: TokenScope;
  /** What the simulator answered; 0 while unanswered, and for reset and hang. */
  status: number;
  /** The fault kind applied, if any. */
  fault?: string;
  /** Calls with an SDK-HMAC-SHA256 Authorization header: what verifying it found. */
  signature?: SignatureCheck;
}

/** The kinds of resource the simulator holds; see Simulator.has for the ids each takes. */
export type SimResourceKind =
  'scmPrivacy' | 'csr' | 'apigCertificate' | 'kmsGrant' | 'modelartsAuthorization';

/**
 * A batch of resources, the shape of DEMO_RESOURCES and of `POST /__sim/resources`.
 * A CSR without `domain` is visible to every account domain.
 */
export interface SimResources {
  scmPrivacy?: readonly { projectId: string; certId: string }[];
  csrs?: readonly { csrId: string; domain?: string }[];
  apigCertificates?: readonly { projectId: string; certificateId: string; bound?: boolean }[];
  kmsGrants?: readonly { projectId: string; keyId: string; grantId: string }[];
  modelartsAuthorizations?: readonly { projectId: string; userId: string }[];
}

export type FaultSpec = {
  /** Which service the fault applies to; `iam` means the token endpoint. */
  service: SimService;
  /** How many matching calls (default 1); Infinity allowed. */
  count?: number;
  /** Only calls with this method (case-insensitive). */
  method?: string;
  /** Only calls whose path contains this string. */
  pathIncludes?: string;
  /**
   * true: the operation is performed (the resource deleted) and THEN the fault answers instead,
   * modelling "request applied but the answer was lost". Default false. It does not apply to
   * `delay`, which always handles the call normally after the wait (the server got it); for an
   * applied call whose answer never comes, use `hang` with takesEffect.
   */
  takesEffect?: boolean;
} & (
  | { kind: 'status'; status: number; body?: string | object; headers?: Record<string, string> }
  /** A load balancer's HTML error page, default 502. */
  | { kind: 'html'; status?: number }
  /** An empty body, default 502. */
  | { kind: 'empty'; status?: number }
  /** A JSON error body cut off mid-way, default 500. */
  | { kind: 'truncated-json'; status?: number }
  /** A load balancer's own answers, without X-Request-Id: HTML (502), empty (502), cut-off JSON (500). */
  | { kind: 'lb-html' | 'lb-empty' | 'lb-truncated'; status?: number }
  /** 403 in the service's envelope, with `encoded_authorization_message` (IAM's encoded denial). */
  | { kind: 'encoded-403' }
  /** A top-level `{"code","message"}` body, default 400. */
  | { kind: 'code-message'; status?: number }
  /** A pair under another key, `{"itemNotFound":{"code":404,"message"}}`, default 404. */
  | { kind: 'nested-pair'; status?: number }
  /** A Keystone body whose code is a string, `{"error":{"code":"IAM.0101",…}}`, default 403. */
  | { kind: 'keystone-string-code'; status?: number }
  /** A huge HTML body, streamed in chunks, default 502. */
  | { kind: 'oversized'; status?: number; sizeBytes: number }
  /** Wait, then handle normally; the operation happens even if the client gave up. */
  | { kind: 'delay'; delayMs: number }
  /** Never answer (until close()). */
  | { kind: 'hang' }
  /** Destroy the socket with a TCP reset, without answering. */
  | { kind: 'reset' }
  /** 429 with the service's throttling error and no Retry-After. */
  | { kind: 'throttle' }
  /** Answer as if the token had expired. */
  | { kind: 'token-expired' }
);

export type FaultKind = FaultSpec['kind'];

export interface Simulator {
  /** 'http://127.0.0.1:<port>': the base URL for IAM and every service. */
  readonly url: string;
  calls(filter?: { service?: SimService }): RecordedCall[];
  clearCalls(): void;
  /** Queue a fault; the first queued fault that matches and has calls left applies. */
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  /** Adds an SCM certificate with privacy data. */
  addScmCertificate(projectId: string, certId: string): void;
  /** A CSR without `domain` is visible to every account domain. */
  addCsr(csrId: string, domain?: string): void;
  addApigCertificate(projectId: string, certificateId: string, opts?: { bound?: boolean }): void;
  addKmsGrant(projectId: string, keyId: string, grantId: string): void;
  addModelArtsAuthorization(projectId: string, userId: string): void;
  /**
   * Whether a resource exists. The ids follow the upstream path order:
   *   has('scmPrivacy', projectId, certId)
   *   has('csr', csrId)
   *   has('apigCertificate', projectId, certificateId)
   *   has('kmsGrant', projectId, keyId, grantId)
   *   has('modelartsAuthorization', projectId, userId)
   * Throws when the number of ids does not fit the kind.
   */
  has(kind: SimResourceKind, ...ids: string[]): boolean;
  /** Every issued token becomes invalid, as after a password change. */
  revokeAllTokens(): void;
  /** How many tokens IAM issued. */
  issuedTokens(): number;
  /** The metadata service hands out a new temporary key on its next fetch. */
  rotateMetadataKey(): void;
  /** Every temporary key handed out so far stops working (their calls answer 401). */
  revokeTemporaryKeys(): void;
  /** Every temporary key the metadata service handed out, oldest first. */
  temporaryKeys(): SimTemporaryKey[];
  /** Closes the server and destroys open sockets; hung requests do not keep it open. */
  close(): Promise<void>;
}
