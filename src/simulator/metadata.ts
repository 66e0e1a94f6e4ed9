// The ECS/CCE metadata service, as much of it as credentials need: the session-token handshake
// (PUT /meta-data/latest/api/token) and the node agency's temporary key
// (GET /openstack/latest/securitykey). Keys rotate when they expire or when a test asks;
// faults are injected like any service's (service `metadata`).
import { JSON_TYPE } from './envelopes.ts';
import type { SimResponse } from './envelopes.ts';
import type { SimContext, SimRequest } from './sim-context.ts';
import { formatKeystoneTime } from './token-store.ts';

export const METADATA_TOKEN_PATH = ['meta-data', 'latest', 'api', 'token'] as const;
export const METADATA_KEY_PATH = ['openstack', 'latest', 'securitykey'] as const;
const MAX_SESSION_TTL_SECONDS = 21_600;

const text = (status: number, body: string): SimResponse => ({
  status,
  body,
  headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
});

function headerOf(req: SimRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function handleMetadataToken(ctx: SimContext, req: SimRequest): SimResponse {
  if (!ctx.credentials.sessionTokens) return text(404, 'Not Found');
  const ttl = Number(headerOf(req, 'x-metadata-token-ttl-seconds') ?? 'NaN');
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_SESSION_TTL_SECONDS) {
    return text(400, 'X-Metadata-Token-Ttl-Seconds must be 1 to 21600.');
  }
  return text(200, ctx.credentials.openSession());
}

export function handleSecurityKey(ctx: SimContext, req: SimRequest): SimResponse {
  if (ctx.credentials.sessionTokens) {
    const session = headerOf(req, 'x-metadata-token');
    if (session === undefined || !ctx.credentials.hasSession(session)) {
      return text(401, 'Unauthorized: a valid X-Metadata-Token is required.');
    }
  }
  const key = ctx.credentials.temporaryKey(ctx.clock());
  // The words the SDKs look for when the node has no agency.
  if (key === undefined) return text(404, 'Please configure Cloud Service Agency first');
  const credential = {
    access: key.access,
    secret: key.secret,
    securitytoken: key.securityToken,
    expires_at: formatKeystoneTime(key.expiresAt),
  };
  return {
    status: 200,
    body: JSON.stringify({ credential }),
    headers: { 'Content-Type': JSON_TYPE },
  };
}
