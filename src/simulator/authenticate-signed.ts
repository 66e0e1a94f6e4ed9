// A signed call passes the API gateway when its signature was verified (verify-signature.ts)
// and the signed X-Project-Id (or, on SCM's global API, X-Domain-Id) is the one the API
// needs. A bad signature, an unknown or expired key and a wrong security token are answered
// 401, as Huawei's API gateway answers them, whatever the service behind it.
import { errorResponse, SIM_ERRORS } from './envelopes.ts';
import type { SimResponse } from './envelopes.ts';
import type { SimContext, SimRequest } from './sim-context.ts';
import type { SimService } from './simulator-types.ts';
import type { TokenRecord } from './token-store.ts';

export interface SignedRoute {
  readonly service: SimService;
  readonly token: 'project' | 'domain' | 'none';
}

export function authenticateSigned(
  ctx: SimContext,
  req: SimRequest,
  route: SignedRoute,
  params: Record<string, string>,
): TokenRecord | SimResponse {
  const check = req.signature;
  const refuse = (reason: string): SimResponse =>
    errorResponse(
      reason === 'the key has expired' ? SIM_ERRORS.tokenExpired : SIM_ERRORS.tokenInvalid,
      req.requestId,
      `${SIM_ERRORS.tokenInvalid.message}: ${reason}`,
    );
  if (check === undefined || !check.verified) return refuse(check?.reason ?? 'not signed');
  const key = ctx.credentials.lookup(check.access);
  if (key === undefined) return refuse(`ak ${check.access} not exist`);
  const { account } = key;
  const signedValue = (name: string): string | undefined => {
    if (!check.signedHeaders.includes(name)) return undefined;
    const value = req.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const user = {
    id: account.userId,
    name: account.user,
    domain: { id: account.domainId, name: account.domain },
  };
  const record = (scope: TokenRecord['scope']): TokenRecord => ({
    token: '',
    method: 'signature',
    user,
    scope,
    issuedAt: ctx.clock(),
    expiresAt: key.expiresAt ?? Number.MAX_SAFE_INTEGER,
  });
  if (route.token === 'domain') {
    if (signedValue('x-domain-id') !== account.domainId) {
      return refuse('this global API needs the signed X-Domain-Id of the key owner');
    }
    return record({ kind: 'domain', domain: account.domain, domainId: account.domainId });
  }
  const projectId = params.project_id ?? '';
  const project = ctx.projectsById.get(projectId);
  if (signedValue('x-project-id') !== projectId || project === undefined) {
    return errorResponse(SIM_ERRORS.projectMismatch, req.requestId);
  }
  return record({ kind: 'project', projectId, projectName: project.name });
}
