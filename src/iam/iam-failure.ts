// How a failed token exchange reaches the caller: one of three contract codes (docs/api.md "Errors"),
// always with `upstream.service: 'iam'`, and a Retry-After where waiting helps.
import { ProblemError, type UpstreamSummary } from '../problems/problem-error.ts';

/**
 * Retry-After (seconds) when IAM could not be reached, timed out or answered 5xx. Long enough
 * for a connection blip or an IAM node restart, short enough that a caller is not idle for
 * long once IAM is back.
 */
export const DEFAULT_IAM_RETRY_AFTER_SECONDS = 5;

/** Retry-After (seconds) when IAM throttled the gateway (IAM.0012) without saying how long. */
export const DEFAULT_IAM_THROTTLE_RETRY_AFTER_SECONDS = 3;

/** The `result` label of `rescind_token_exchanges_total`. */
export type ExchangeResult = 'success' | 'rejected' | 'unavailable' | 'throttled';

export type IamFailureKind = Exclude<ExchangeResult, 'success'>;

const CODES = {
  rejected: 'UPSTREAM_AUTH_FAILED',
  unavailable: 'UPSTREAM_UNAVAILABLE',
  throttled: 'UPSTREAM_THROTTLED',
} as const;

export interface IamFailureOptions {
  /** A fixed sentence of ours; never a library's message, a secret or an address. */
  readonly detail: string;
  /** What IAM answered, if anything; `service` is always 'iam'. */
  readonly upstream?: Omit<UpstreamSummary, 'service'>;
  readonly retryAfter?: number;
  /** For logs only; must not be able to hold a secret (see exchange-token.ts). */
  readonly cause?: Error;
}

export function iamFailure(kind: IamFailureKind, options: IamFailureOptions): ProblemError {
  const retryAfter =
    kind === 'rejected'
      ? undefined
      : (options.retryAfter ??
        (kind === 'throttled'
          ? DEFAULT_IAM_THROTTLE_RETRY_AFTER_SECONDS
          : DEFAULT_IAM_RETRY_AFTER_SECONDS));
  return new ProblemError(CODES[kind], {
    detail: options.detail,
    upstream: { service: 'iam', ...options.upstream },
    ...(retryAfter === undefined ? {} : { retryAfter }),
    ...(options.cause === undefined ? {} : { cause: options.cause }),
  });
}

/** The metric result of a failed exchange; anything unexpected counts as unavailable. */
export function exchangeResultOf(error: unknown): IamFailureKind {
  if (error instanceof ProblemError) {
    if (error.code === 'UPSTREAM_AUTH_FAILED') return 'rejected';
    if (error.code === 'UPSTREAM_THROTTLED') return 'throttled';
  }
  return 'unavailable';
}
