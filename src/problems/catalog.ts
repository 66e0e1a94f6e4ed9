// The closed set of error codes Rescind answers with (docs/api.md "Errors"). Everything else is derived
// from this table: the error handler's status and title, the problem `type` URN, the OpenAPI
// schema's enum, and the README's error table (a docs test keeps them equal).

export interface ProblemDefinition {
  readonly status: number;
  readonly title: string;
  /** When the gateway answers with this code; rendered into the README's error table. */
  readonly when: string;
}

export const PROBLEMS = {
  INVALID_REQUEST: {
    status: 400,
    title: 'Invalid Request',
    when: 'bad parameter, unknown project, malformed body',
  },
  UPSTREAM_REJECTED: { status: 400, title: 'Upstream Rejected', when: 'the cloud answered 400' },
  UNAUTHENTICATED: {
    status: 401,
    title: 'Unauthenticated',
    when: 'no or invalid caller identity',
  },
  FORBIDDEN: {
    status: 403,
    title: 'Forbidden',
    when: "the caller lacks the operation's permission",
  },
  NOT_FOUND: {
    status: 404,
    title: 'Not Found',
    when: 'the cloud says the resource does not exist',
  },
  ROUTE_NOT_FOUND: { status: 404, title: 'Route Not Found', when: 'no such gateway route' },
  METHOD_NOT_ALLOWED: {
    status: 405,
    title: 'Method Not Allowed',
    when: 'known path, wrong method (with `Allow`)',
  },
  CONFLICT: {
    status: 409,
    title: 'Conflict',
    when: 'the cloud answered 409 (e.g. certificate still bound)',
  },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload Too Large', when: 'body over the limit' },
  RATE_LIMITED: {
    status: 429,
    title: 'Rate Limited',
    when: 'the caller exceeded its limit (`Retry-After`)',
  },
  UPSTREAM_THROTTLED: {
    status: 429,
    title: 'Upstream Throttled',
    when: 'the cloud throttled the gateway (`Retry-After`)',
  },
  INTERNAL: { status: 500, title: 'Internal Error', when: 'a bug; logged with the request id' },
  UPSTREAM_AUTH_FAILED: {
    status: 502,
    title: 'Upstream Authentication Failed',
    when: 'IAM rejected the service credentials, or the cloud answered 401 again after one token refresh',
  },
  UPSTREAM_FORBIDDEN: {
    status: 502,
    title: 'Upstream Forbidden',
    when: "the cloud answered 403 to the gateway's own token",
  },
  UPSTREAM_ERROR: {
    status: 502,
    title: 'Upstream Error',
    when: 'the cloud answered 5xx, or something unreadable, or a 2xx contradicting its seed',
  },
  UPSTREAM_UNAVAILABLE: {
    status: 503,
    title: 'Upstream Unavailable',
    when: 'connection refused/reset, IAM unreachable, circuit open (`Retry-After`)',
  },
  AUDIT_UNAVAILABLE: {
    status: 503,
    title: 'Audit Unavailable',
    when: 'the audit record could not be made durable (fail closed)',
  },
  UPSTREAM_TIMEOUT: {
    status: 504,
    title: 'Upstream Timeout',
    when: 'the cloud did not answer in time',
  },
} as const satisfies Record<string, ProblemDefinition>;

export type ProblemCode = keyof typeof PROBLEMS;

export const PROBLEM_CODES = Object.keys(PROBLEMS) as ProblemCode[];

/** `INVALID_REQUEST` → `urn:rescind:problem:invalid-request`. */
export function problemType(code: ProblemCode): string {
  return `urn:rescind:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}

export function isProblemCode(value: unknown): value is ProblemCode {
  return typeof value === 'string' && Object.hasOwn(PROBLEMS, value);
}
