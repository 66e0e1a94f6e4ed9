import { PROBLEMS, type ProblemCode } from './catalog.ts';

/** One invalid field, named as the caller sent it (`keyId`, `project`, `allUsers`). */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** What the cloud answered (or failed to), kept on the problem and in the audit outcome. */
export interface UpstreamSummary {
  readonly service: string;
  /** HTTP status the cloud answered; absent when it never answered (reset, timeout, refused). */
  readonly status?: number;
  readonly code?: string;
  readonly message?: string;
  readonly requestId?: string;
  /**
   * IAM's encoded policy denial from a 403, passed on as the cloud gave it: the caller (or an
   * operator) decodes it with IAM's decode-authorization API (docs/upstream.md "Error bodies").
   */
  readonly encodedAuthorizationMessage?: string;
}

export interface ProblemOptions {
  readonly detail?: string;
  readonly errors?: readonly FieldError[];
  readonly upstream?: UpstreamSummary;
  /** Seconds, sent as `Retry-After`. */
  readonly retryAfter?: number;
  /** Extra response headers (e.g. `Allow` on 405). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Kept for logs only; never rendered into a response. */
  readonly cause?: unknown;
}

/**
 * The one error class of the gateway. Anything thrown that is not a ProblemError becomes
 * `INTERNAL` with a fixed sentence: a library's message never reaches a caller.
 */
export class ProblemError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly detail: string | undefined;
  readonly errors: readonly FieldError[] | undefined;
  readonly upstream: UpstreamSummary | undefined;
  readonly retryAfter: number | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(code: ProblemCode, options: ProblemOptions = {}) {
    super(options.detail ?? PROBLEMS[code].title, { cause: options.cause });
    this.name = 'ProblemError';
    this.code = code;
    this.status = PROBLEMS[code].status;
    this.detail = options.detail;
    this.errors = options.errors;
    this.upstream = options.upstream;
    this.retryAfter = options.retryAfter;
    this.headers = options.headers;
  }
}

/** Wraps anything thrown into a ProblemError; unknown errors become INTERNAL. */
export function toProblemError(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  return new ProblemError('INTERNAL', {
    detail: 'The gateway hit an unexpected error. It is logged with this request id.',
    cause: error,
  });
}
