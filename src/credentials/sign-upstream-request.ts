// An upstream request signed the way Huawei's SDKs sign theirs (docs/credentials.md "Signing"):
// Content-Type, Host, X-Sdk-Date, X-Project-Id (regional APIs) or X-Domain-Id (SCM's global
// API), and X-Security-Token for a temporary key, all signed, then Authorization.

import type { TokenScope } from '../iam/token-provider.ts';
import type { UpstreamRequest } from '../upstream/build-upstream-request.ts';
import { signRequest, type SigningKey } from './sign-request.ts';

export interface SigningContext {
  readonly target: string;
  readonly scope: TokenScope;
  /** The account id, sent as X-Domain-Id on calls with the domain scope. */
  readonly domainId: string;
  /** Epoch ms of signing. */
  readonly time: number;
}

export function signUpstreamRequest(
  request: UpstreamRequest,
  key: SigningKey,
  context: SigningContext,
): UpstreamRequest {
  const target = new URL(context.target);
  const { path, query } = splitPath(request.path, target.pathname);
  const scopeHeader: Record<string, string> =
    context.scope.kind === 'project'
      ? { 'x-project-id': context.scope.projectId }
      : { 'x-domain-id': context.domainId };
  const signed = signRequest(
    {
      method: request.method,
      // WHATWG URL drops a default port, as the Host header the proxy sends does.
      host: target.host,
      path,
      query,
      // The SDKs sign Content-Type even on a DELETE without a body.
      headers: { 'content-type': 'application/json', ...scopeHeader },
      ...(request.body === undefined ? {} : { body: request.body }),
      time: context.time,
    },
    key,
  );
  return { ...request, headers: { ...request.headers, ...signed.headers } };
}

/**
 * The path the service receives (the endpoint's base path, then the request's) and the query
 * as name → value(s), decoded the way the service decodes it before checking the signature.
 */
function splitPath(
  requestPath: string,
  basePath: string,
): { path: string; query: Record<string, string | string[]> } {
  const at = requestPath.indexOf('?');
  const own = at === -1 ? requestPath : requestPath.slice(0, at);
  const base = basePath.replace(/\/+$/, '');
  const query: Record<string, string | string[]> = {};
  if (at !== -1) {
    for (const [name, value] of new URLSearchParams(requestPath.slice(at + 1))) {
      const seen = query[name];
      query[name] = seen === undefined ? value : [...[seen].flat(), value];
    }
  }
  return { path: `${base}${own}`, query };
}
