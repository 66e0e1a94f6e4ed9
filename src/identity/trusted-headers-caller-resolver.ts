import { ProblemError } from '../problems/problem-error.ts';
import type { Caller, CallerEvidence, CallerResolver } from './caller.ts';
import { createCidrSet } from './cidr-set.ts';
import { readEmail, readGroupsHeader, readSubject } from './identity-values.ts';

export const FORWARDED_USER = 'x-forwarded-user';
export const FORWARDED_EMAIL = 'x-forwarded-email';
export const FORWARDED_GROUPS = 'x-forwarded-groups';
const IDENTITY_HEADERS = [FORWARDED_USER, FORWARDED_EMAIL, FORWARDED_GROUPS] as const;
const DISPLAY_NAMES: Record<(typeof IDENTITY_HEADERS)[number], string> = {
  'x-forwarded-user': 'X-Forwarded-User',
  'x-forwarded-email': 'X-Forwarded-Email',
  'x-forwarded-groups': 'X-Forwarded-Groups',
};

/**
 * An SSO proxy in front (oauth2-proxy style) vouches for the caller with `X-Forwarded-User`,
 * `-Email` and `-Groups`. They are believed only when the TCP peer is inside a trusted CIDR,
 * and only as one complete identity set once by the proxy: a header that arrives twice means
 * someone appended to what the proxy set (Node would join the copies into one comma-separated
 * value; appended groups are how oauth2-proxy#877 escalated privileges), so it is refused.
 * An Authorization header plays no part in this mode: it is neither read nor combined.
 */
export function createTrustedHeadersCallerResolver(
  trustedProxies: readonly string[],
): CallerResolver {
  const trusted = createCidrSet(trustedProxies);
  return {
    mode: 'trusted-headers',
    // The executor turns a thrown ProblemError into a rejection.
    authenticate: (evidence) =>
      new Promise<Caller>((settle) => {
        settle(resolveCaller(evidence));
      }),
  };

  function resolveCaller(evidence: CallerEvidence): Caller {
    if (!trusted.has(evidence.peerAddress)) {
      throw unauthenticated('Identity headers are accepted only from a trusted proxy.');
    }
    for (const name of IDENTITY_HEADERS) {
      if (countHeader(evidence.rawHeaders, name) > 1) {
        throw unauthenticated(
          `${DISPLAY_NAMES[name]} was sent more than once; the proxy must set it exactly once.`,
        );
      }
    }
    const user = single(evidence, FORWARDED_USER);
    if (user === undefined || user === '') {
      throw unauthenticated('The trusted proxy sent no X-Forwarded-User.');
    }
    const subject = readSubject(user);
    if (subject === undefined) {
      throw unauthenticated('X-Forwarded-User is not a usable subject.');
    }
    const email = readEmail(single(evidence, FORWARDED_EMAIL));
    return {
      subject,
      ...(email !== undefined ? { email } : {}),
      groups: readGroupsHeader(single(evidence, FORWARDED_GROUPS)),
      via: 'trusted-headers',
    };
  }
}

function countHeader(rawHeaders: readonly string[], name: string): number {
  let count = 0;
  for (let index = 0; index < rawHeaders.length; index += 2) {
    if (rawHeaders[index]?.toLowerCase() === name) count += 1;
  }
  return count;
}

function single(evidence: CallerEvidence, name: string): string | undefined {
  const value = evidence.headers[name];
  return Array.isArray(value) ? undefined : value;
}

function unauthenticated(detail: string): ProblemError {
  return new ProblemError('UNAUTHENTICATED', { detail });
}
