// IAM's token endpoint, POST /v3/auth/tokens, Keystone-style as Huawei implements it: the
// password method, and the assume_role method of the two-step agency exchange.
import { createHash } from 'node:crypto';
import { JSON_TYPE, keystoneError } from './envelopes.ts';
import type { SimResponse } from './envelopes.ts';
import type { SimContext, SimRequest } from './sim-context.ts';
import { formatKeystoneTime } from './token-store.ts';
import type { IssuedScope, IssuedUser, TokenRecord } from './token-store.ts';

type Json = Record<string, unknown>;

export const asObject = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : undefined;
const asString = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** Stable 32-hex ids for things the options name but do not number (agency domains, roles). */
export function derivedId(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 32);
}

const UNAUTHENTICATED = 'The request you have made requires authentication.';

// Huawei documents assume_role's duration_seconds as 900 to 86400.
const MIN_DURATION = 900;
const MAX_DURATION = 86_400;

/** The `auth` object of a token request's body, or Keystone's 400 when the body is no JSON. */
export function authOf(
  req: SimRequest,
): { readonly auth: Json | undefined } | { readonly refused: SimResponse } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.body);
  } catch {
    return { refused: keystoneError(400, 'The request body is not valid JSON.') };
  }
  return { auth: asObject(asObject(parsed)?.auth) };
}

export function handleIamTokens(ctx: SimContext, req: SimRequest): SimResponse {
  const body = authOf(req);
  if ('refused' in body) return body.refused;
  const { auth } = body;
  const identity = asObject(auth?.identity);
  const methods = identity?.methods;
  if (
    auth === undefined ||
    identity === undefined ||
    !Array.isArray(methods) ||
    methods.length !== 1
  ) {
    return keystoneError(400, 'Expecting to find auth.identity.methods with exactly one method.');
  }
  // Huawei's IAM marks scope as mandatory for both methods, unlike stock Keystone, which would
  // issue an unscoped token; a gateway that forgets the scope gets told here.
  if (asObject(auth.scope) === undefined) {
    return keystoneError(400, 'Expecting to find auth.scope with a project or a domain.');
  }
  const method: unknown = methods[0];
  if (method === 'password') return passwordToken(ctx, req, identity, auth.scope);
  if (method === 'assume_role') return assumeRoleToken(ctx, req, identity, auth.scope);
  return keystoneError(400, `Unsupported authentication method: ${String(method)}.`);
}

function passwordToken(
  ctx: SimContext,
  req: SimRequest,
  identity: Json,
  scope: unknown,
): SimResponse {
  const user = asObject(asObject(identity.password)?.user);
  const name = asString(user?.name);
  const userId = asString(user?.id);
  const password = asString(user?.password);
  const domain = asObject(user?.domain);
  const domainName = asString(domain?.name);
  const domainId = asString(domain?.id);
  const named = name !== undefined && (domainName !== undefined || domainId !== undefined);
  if (password === undefined || (!named && userId === undefined)) {
    return keystoneError(
      400,
      'Expecting to find identity.password.user with name, password and domain (or id and password).',
    );
  }
  const account = ctx.accounts.find(
    (a) =>
      a.password === password &&
      (named
        ? a.user === name &&
          (domainName !== undefined ? a.domain === domainName : a.domainId === domainId)
        : a.userId === userId),
  );
  if (account === undefined) return keystoneError(401, 'The username or password is wrong.');
  const issuedUser: IssuedUser = {
    id: account.userId,
    name: account.user,
    domain: { id: account.domainId, name: account.domain },
  };
  return issue(ctx, req, 'password', issuedUser, undefined, scope, ctx.tokenLifetimeSeconds);
}

function assumeRoleToken(
  ctx: SimContext,
  req: SimRequest,
  identity: Json,
  scope: unknown,
): SimResponse {
  // Step two of the agency exchange: the caller proves itself with its own token.
  const own: TokenRecord | undefined =
    req.token === undefined ? undefined : ctx.tokens.lookup(req.token);
  if (own === undefined) return keystoneError(401, UNAUTHENTICATED);
  if (ctx.clock() >= own.expiresAt) return keystoneError(401, 'The token has expired.');

  const role = asObject(identity.assume_role);
  const domainName = asString(role?.domain_name);
  const domainId = asString(role?.domain_id);
  // xrole_name is the older spelling Huawei still accepts.
  const agencyName = asString(role?.agency_name) ?? asString(role?.xrole_name);
  if (
    role === undefined ||
    (domainName === undefined && domainId === undefined) ||
    agencyName === undefined
  ) {
    return keystoneError(
      400,
      'Expecting to find identity.assume_role with domain_name (or domain_id) and agency_name.',
    );
  }
  let lifetime = ctx.tokenLifetimeSeconds;
  if (role.duration_seconds !== undefined) {
    const duration = role.duration_seconds;
    if (
      typeof duration !== 'number' ||
      !Number.isInteger(duration) ||
      duration < MIN_DURATION ||
      duration > MAX_DURATION
    ) {
      return keystoneError(
        400,
        `duration_seconds must be an integer from ${MIN_DURATION} to ${MAX_DURATION}.`,
      );
    }
    lifetime = Math.min(lifetime, duration);
  }
  const agency = ctx.agencies.find(
    (a) =>
      a.name === agencyName &&
      (domainName !== undefined
        ? a.domain === domainName
        : derivedId(`domain:${a.domain}`) === domainId),
  );
  // An unknown agency and an untrusted one answer alike, so the answer reveals no agency names.
  if (agency === undefined || agency.trustedDomain !== own.user.domain.name) {
    return keystoneError(
      403,
      'You are not authorized to perform the requested action: assume_role.',
    );
  }
  const agencyDomain = { id: derivedId(`domain:${agency.domain}`), name: agency.domain };
  const issuedUser: IssuedUser = {
    id: derivedId(`agency:${agency.domain}/${agency.name}`),
    name: `${agency.domain}/${agency.name}`,
    domain: agencyDomain,
  };
  return issue(ctx, req, 'assume_role', issuedUser, own.assumedBy ?? own.user, scope, lifetime);
}

function resolveScope(
  ctx: SimContext,
  scope: unknown,
  domain: IssuedUser['domain'],
): IssuedScope | SimResponse {
  const project = asObject(asObject(scope)?.project);
  const scopeDomain = asObject(asObject(scope)?.domain);
  if ((project === undefined) === (scopeDomain === undefined)) {
    return keystoneError(400, 'Expecting auth.scope to name exactly one of project or domain.');
  }
  if (project !== undefined) {
    const id = asString(project.id);
    const name = asString(project.name);
    if (id === undefined && name === undefined) {
      return keystoneError(400, 'Expecting auth.scope.project to have an id or a name.');
    }
    const found =
      id !== undefined ? ctx.projectsById.get(id) : ctx.projects.find((p) => p.name === name);
    // Keystone answers 401 for a project the caller cannot scope to, existing or not, so the
    // answer does not tell which project ids exist; Huawei's IAM does the same.
    if (found === undefined) return keystoneError(401, UNAUTHENTICATED);
    return { kind: 'project', projectId: found.id, projectName: found.name };
  }
  const id = asString(scopeDomain?.id);
  const name = asString(scopeDomain?.name);
  if (id === undefined && name === undefined) {
    return keystoneError(400, 'Expecting auth.scope.domain to have an id or a name.');
  }
  // A domain-scoped token is for the caller's own account (or the agency's) only.
  if (id !== undefined ? id !== domain.id : name !== domain.name)
    return keystoneError(401, UNAUTHENTICATED);
  return { kind: 'domain', domain: domain.name, domainId: domain.id };
}

export function issue(
  ctx: SimContext,
  req: SimRequest,
  method: TokenRecord['method'],
  user: IssuedUser,
  assumedBy: IssuedUser | undefined,
  scopeInput: unknown,
  lifetimeSeconds: number,
): SimResponse {
  const scope = resolveScope(ctx, scopeInput, user.domain);
  if ('status' in scope) return scope;
  const issuedAt = ctx.clock();
  const record = ctx.tokens.issue({
    method,
    user,
    ...(assumedBy === undefined ? {} : { assumedBy }),
    scope,
    issuedAt,
    expiresAt: issuedAt + lifetimeSeconds * 1000,
  });
  const token: Json = {
    expires_at: formatKeystoneTime(record.expiresAt),
    issued_at: formatKeystoneTime(record.issuedAt),
    methods: [method],
    user: method === 'password' ? { ...user, password_expires_at: '' } : user,
  };
  if (assumedBy !== undefined) token.assumed_by = { user: assumedBy };
  if (scope.kind === 'project') {
    token.project = { id: scope.projectId, name: scope.projectName, domain: user.domain };
  } else {
    token.domain = { id: scope.domainId, name: scope.domain };
  }
  token.roles = [{ id: derivedId('role:te_admin'), name: 'te_admin' }];
  if (req.query.nocatalog !== 'true') token.catalog = catalog(ctx, scope);
  return {
    status: 201,
    body: JSON.stringify({ token }),
    headers: { 'Content-Type': JSON_TYPE, 'X-Subject-Token': record.token },
  };
}

// A small service catalog pointing every service at the simulator, for callers that read it.
function catalog(ctx: SimContext, scope: IssuedScope): Json[] {
  const region = scope.kind === 'project' ? scope.projectName : '*';
  return (['iam', 'scm', 'apig', 'kms', 'modelarts'] as const).map((type) => ({
    type,
    id: derivedId(`service:${type}`),
    name: type,
    endpoints: [
      {
        id: derivedId(`endpoint:${type}:${region}`),
        interface: 'public',
        region,
        region_id: region,
        url: ctx.baseUrl(),
      },
    ],
  }));
}
