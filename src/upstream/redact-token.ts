// A service's error may quote the request back, X-Auth-Token included, and what the cloud says
// is passed on to the caller, the audit trail and the log (docs/api.md "Cloud credentials": tokens never reach any
// of them). The quote is usually cut short — messages are capped at 1,024 characters and a token
// is ~9 KB — so replacing the whole token is not enough: any run of token characters that shares
// MIN_SHARED characters with the token is replaced.

import type { UpstreamFault } from './parse-upstream-error.ts';

export const REDACTED = '[REDACTED]';

/** 16 base64 characters carry 96 bits: sharing them with the token is never a coincidence. */
const MIN_SHARED = 16;
const TOKEN_RUN = new RegExp(`[A-Za-z0-9+/=_-]{${String(MIN_SHARED)},}`, 'g');

/** `text` with every part of `token` it quotes replaced by `[REDACTED]`. */
export function redactToken(text: string, token: string): string {
  if (token === '') return text;
  if (token.length < MIN_SHARED) return text.replaceAll(token, REDACTED);
  return text.replace(TOKEN_RUN, (run) => (sharesPart(run, token) ? REDACTED : run));
}

/** The fault with `token` redacted from every text the cloud supplied. */
export function redactTokenInFault(fault: UpstreamFault, token: string): UpstreamFault {
  const { code, message, requestId, encodedAuthorizationMessage, ...rest } = fault;
  const redact = (value: string) => redactToken(value, token);
  return {
    ...rest,
    ...(code === undefined ? {} : { code: redact(code) }),
    ...(message === undefined ? {} : { message: redact(message) }),
    // A request id is passed on as an opaque value: one that quotes the token is dropped.
    ...(requestId === undefined || redact(requestId) !== requestId ? {} : { requestId }),
    ...(encodedAuthorizationMessage === undefined
      ? {}
      : { encodedAuthorizationMessage: redact(encodedAuthorizationMessage) }),
  };
}

function sharesPart(run: string, token: string): boolean {
  const parts = partsOf(token);
  for (let at = 0; at + MIN_SHARED <= run.length; at += 1) {
    if (parts.has(run.slice(at, at + MIN_SHARED))) return true;
  }
  return false;
}

/**
 * Every MIN_SHARED-character part of the token, so a run is checked in time linear in its own
 * length: searching the ~9 KB token for each part of every run the cloud sent back (its request
 * id included, on every answer) was a measurable share of a revocation's CPU. A gateway holds
 * one token per scope at a time, so the few most recent tokens' parts are kept.
 */
const PARTS_KEPT = 4;
const partsByToken = new Map<string, ReadonlySet<string>>();

function partsOf(token: string): ReadonlySet<string> {
  let parts = partsByToken.get(token);
  if (parts !== undefined) return parts;
  const built = new Set<string>();
  for (let at = 0; at + MIN_SHARED <= token.length; at += 1) {
    built.add(token.slice(at, at + MIN_SHARED));
  }
  if (partsByToken.size >= PARTS_KEPT) {
    const oldest = partsByToken.keys().next();
    if (oldest.done !== true) partsByToken.delete(oldest.value);
  }
  partsByToken.set(token, built);
  parts = built;
  return parts;
}
