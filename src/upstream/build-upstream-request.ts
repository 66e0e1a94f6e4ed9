// The exact request sent to the cloud, built from the operation's plan and nothing the caller
// sent: its method, path, query and body come from the catalog, and its headers are a fixed,
// complete set (docs/api.md "Cloud credentials": the token in X-Auth-Token; the caller's Authorization, cookies and
// forwarded headers never travel on).
import type { UpstreamPlan } from '../operations/catalog.ts';

export interface UpstreamRequest {
  readonly method: 'DELETE' | 'POST';
  /** Path and query, relative to the service endpoint. */
  readonly path: string;
  /** Every header to send, lower-case names; `host` is added from the target. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
}

export interface RequestIdentity {
  /** The IAM token; without one the credentials add their own headers (a signature). */
  readonly token?: string;
  readonly requestId: string;
  readonly traceparent: string;
  readonly userAgent: string;
}

export function buildUpstreamRequest(
  plan: UpstreamPlan,
  identity: RequestIdentity,
): UpstreamRequest {
  const body = plan.body === undefined ? undefined : Buffer.from(JSON.stringify(plan.body));
  const headers: Record<string, string> = {
    ...(identity.token === undefined ? {} : { 'x-auth-token': identity.token }),
    accept: 'application/json',
    'x-request-id': identity.requestId,
    traceparent: identity.traceparent,
    'user-agent': identity.userAgent,
    // Always explicit: a POST without a length would otherwise go out chunked.
    'content-length': String(body?.length ?? 0),
  };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return { method: plan.method, path: pathWithQuery(plan), headers, body };
}

function pathWithQuery(plan: UpstreamPlan): string {
  if (plan.query === undefined) return plan.path;
  const query = new URLSearchParams(Object.entries(plan.query)).toString();
  return query === '' ? plan.path : `${plan.path}?${query}`;
}
