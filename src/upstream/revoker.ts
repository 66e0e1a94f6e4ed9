import type { OperationSpec } from '../operations/catalog.ts';
import type { ProblemError, UpstreamSummary } from '../problems/problem-error.ts';

export interface ResolvedProject {
  readonly alias: string;
  readonly id: string;
  readonly region: string;
}

export interface RevocationRequest {
  readonly operation: OperationSpec;
  readonly project: ResolvedProject;
  readonly target: Readonly<Record<string, string>>;
  readonly requestId: string;
  /** The W3C traceparent to send upstream (our span as the parent). */
  readonly traceparent: string;
  /** Epoch ms by which the whole request, retries and token exchange included, must finish. */
  readonly deadline: number;
  // Deliberately no access to the caller's request or response: http-proxy-middleware, given
  // them, forwards the caller's headers and cancels the call when the caller hangs up
  // (see send-upstream.ts). Each attempt proxies a request built from the plan alone.
}

export type RevocationResult =
  | {
      readonly kind: 'revoked';
      readonly upstream: UpstreamSummary;
      readonly attempts: number;
      /** Set when success was inferred: 'not-found-after-unknown-attempt'. */
      readonly reason?: string;
    }
  | {
      readonly kind: 'failed';
      /** Carries the contract code, `upstream`, and `retryAfter` where due. */
      readonly problem: ProblemError;
      readonly attempts: number;
      /**
       * True when an attempt may have taken effect although it failed (reset or timeout after
       * the request was sent, 502, 504) and no later 404 confirmed it: the revocation may have
       * happened, and the audit outcome should say so.
       */
      readonly outcomeUnknown?: boolean;
    };

/**
 * Performs one revocation against the cloud: token, call, retries within the deadline, token
 * refresh and replay, normalization. Never throws for anything the cloud or the network does;
 * a rejection means a bug.
 */
export interface Revoker {
  revoke(request: RevocationRequest): Promise<RevocationResult>;
}
