import type { IncomingHttpHeaders } from 'node:http';

/** Who is calling, as the company SSO vouches for it. */
export interface Caller {
  readonly subject: string;
  readonly email?: string;
  readonly groups: readonly string[];
  readonly via: 'jwt' | 'trusted-headers';
}

/** What identity resolution may look at: the headers and the TCP peer, nothing else. */
export interface CallerEvidence {
  readonly headers: IncomingHttpHeaders;
  /** Raw name/value pairs as received, to see a header sent twice (Node joins duplicates). */
  readonly rawHeaders: readonly string[];
  /** The TCP peer address (never a forwarded header). */
  readonly peerAddress: string | undefined;
}

/**
 * Resolves the caller of a request, or throws ProblemError('UNAUTHENTICATED') with a detail
 * that says what was wrong without echoing the credential.
 */
export interface CallerResolver {
  readonly mode: Caller['via'];
  authenticate(evidence: CallerEvidence): Promise<Caller>;
  close?(): void;
}
