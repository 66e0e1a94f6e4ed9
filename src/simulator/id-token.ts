// IAM's ID-token exchange, POST /v3.0/OS-AUTH/id-token/tokens: an OpenID Connect ID token from an
// issuer that an identity provider (X-Idp-Id) trusts, for a project- or domain-scoped token. The
// ID token's signature is checked against the provider's keys, and its issuer, audience and
// expiry against the provider and the simulator's clock.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { keystoneError } from './envelopes.ts';
import type { SimResponse } from './envelopes.ts';
import { asObject, authOf, derivedId, issue } from './iam.ts';
import type { SimContext, SimRequest } from './sim-context.ts';
import type { SimIdentityProvider } from './simulator-types.ts';

type Json = Record<string, unknown>;

export function handleIdTokenExchange(ctx: SimContext, req: SimRequest): SimResponse {
  const idpHeader = req.headers['x-idp-id'];
  const idpId = Array.isArray(idpHeader) ? idpHeader[0] : idpHeader;
  if (idpId === undefined || idpId === '') return keystoneError(400, 'X-Idp-Id is required.');
  const idp = ctx.credentials.identityProviders.find((candidate) => candidate.id === idpId);
  if (idp === undefined) return keystoneError(404, 'Could not find identity provider.');
  const body = authOf(req);
  if ('refused' in body) return body.refused;
  const { auth } = body;
  const idToken = asObject(auth?.id_token)?.id;
  if (typeof idToken !== 'string' || idToken === '') {
    return keystoneError(400, 'Expecting to find auth.id_token.id.');
  }
  if (asObject(auth?.scope) === undefined) {
    return keystoneError(400, 'Expecting to find auth.scope with a project or a domain.');
  }
  const subject = verifyIdToken(idToken, idp, ctx.clock());
  if (subject === undefined) return keystoneError(401, 'The ID token is invalid or has expired.');
  const account = ctx.credentials.account(idp.domain);
  if (account === undefined) return keystoneError(401, 'The identity provider has no account.');
  const domain = { id: account.domainId, name: account.domain };
  const user = {
    id: derivedId(`federated:${idp.id}/${subject}`),
    name: `${idp.id}/${subject}`,
    domain,
  };
  return issue(ctx, req, 'id_token', user, undefined, auth?.scope, ctx.tokenLifetimeSeconds);
}

/** The `sub` of a valid ID token for `idp`, else undefined. */
function verifyIdToken(token: string, idp: SimIdentityProvider, now: number): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
  const header = decodeJson(headerPart);
  const claims = decodeJson(payloadPart);
  if (header === undefined || claims === undefined) return undefined;
  const alg = header.alg;
  if (alg !== 'RS256' && alg !== 'ES256') return undefined;
  const signed = Buffer.from(`${headerPart}.${payloadPart}`);
  const signature = Buffer.from(signaturePart, 'base64url');
  const good = keysFor(idp, header.kid).some((key) =>
    verify('sha256', signed, alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key, signature),
  );
  if (!good) return undefined;
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (claims.iss !== idp.issuer) return undefined;
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return undefined;
  if (idp.audience !== undefined && !audiences.includes(idp.audience)) return undefined;
  return typeof claims.sub === 'string' && claims.sub !== '' ? claims.sub : undefined;
}

function keysFor(idp: SimIdentityProvider, kid: unknown): KeyObject[] {
  const keys: KeyObject[] = [];
  for (const jwk of idp.keys) {
    if (typeof kid === 'string' && (jwk as { kid?: unknown }).kid !== kid) continue;
    try {
      keys.push(createPublicKey({ key: jwk, format: 'jwk' }));
    } catch {
      // A key the provider lists but that cannot be read verifies nothing.
    }
  }
  return keys;
}

function decodeJson(part: string): Json | undefined {
  try {
    return asObject(JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
  } catch {
    return undefined;
  }
}
