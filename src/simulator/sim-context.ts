// What a route handler sees: the request, already read and parsed, and the simulator's state.
// Handlers return a SimResponse instead of writing, so a fault can replace the answer after
// the operation took effect.
import type { IncomingHttpHeaders } from 'node:http';
import type { ResourceStore } from './resource-store.ts';
import type { SimCredentials } from './sim-credentials.ts';
import type { SignatureCheck, SimAccount, SimAgency, SimProject } from './simulator-types.ts';
import type { TokenStore } from './token-store.ts';

export interface SimRequest {
  method: string;
  /** As received, without the query. */
  path: string;
  /** Decoded path segments, without the leading empty one. */
  segments: readonly string[];
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
  token: string | undefined;
  /** The X-Request-Id this answer will carry. */
  requestId: string;
  /** Set when the call carries an SDK-HMAC-SHA256 signature: what verifying it found. */
  signature?: SignatureCheck;
}

export interface SimContext {
  readonly tokens: TokenStore;
  /** Access keys, temporary keys, metadata sessions and identity providers. */
  readonly credentials: SimCredentials;
  readonly resources: ResourceStore;
  readonly accounts: readonly SimAccount[];
  readonly agencies: readonly SimAgency[];
  readonly projectsById: ReadonlyMap<string, SimProject>;
  readonly projects: readonly SimProject[];
  readonly tokenLifetimeSeconds: number;
  readonly clock: () => number;
  readonly autoReseed: boolean;
  /** The simulator's base URL, for the IAM catalog; known only once listening. */
  readonly baseUrl: () => string;
}
