import type { IncomingMessage, ServerResponse } from 'node:http';
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
  /**
   * The caller's request and response: the upstream call runs through http-proxy-middleware,
   * which proxies on them. The revoker never writes to `res`; the pipeline's respond step does.
   */
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
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
    };

/**
 * Performs one revocation against the cloud: token, call, retries within the deadline, token
 * refresh and replay, normalization. Never throws for anything the cloud or the network does;
 * a rejection means a bug.
 */
export interface Revoker {
  revoke(request: RevocationRequest): Promise<RevocationResult>;
}
