// A service's error may quote the request back, X-Auth-Token included, and what the cloud says
// is passed on to the caller, the audit trail and the log (README "Cloud credentials": tokens and
// passwords never reach any of them). The quote is usually cut short — messages are capped at
// 1,024 characters and a token is ~9 KB — so the shared redaction (src/text/redact-secrets.ts) replaces any
// run that shares 16 characters with the token (96 bits of base64: never a coincidence), and 8
// with the gateway's own secrets, in any form they may come back in.

import { redactText, tokenSecret, type Secret } from '../text/redact-secrets.ts';
import type { UpstreamFault } from './parse-upstream-error.ts';

/** `text` with every part of `token` it quotes replaced by `[REDACTED]`. */
export function redactToken(text: string, token: string): string {
  return redactText(text, [tokenSecret(token)]);
}

/** The fault with `token` and `secrets` redacted from every text the cloud supplied. */
export function redactTokenInFault(
  fault: UpstreamFault,
  token: string,
  secrets: readonly Secret[] = [],
): UpstreamFault {
  const all = [tokenSecret(token), ...secrets];
  const { code, message, requestId, encodedAuthorizationMessage, ...rest } = fault;
  const redact = (value: string) => redactText(value, all);
  return {
    ...rest,
    ...(code === undefined ? {} : { code: redact(code) }),
    ...(message === undefined ? {} : { message: redact(message) }),
    // A request id is passed on as an opaque value: one that quotes a secret is dropped.
    ...(requestId === undefined || redact(requestId) !== requestId ? {} : { requestId }),
    ...(encodedAuthorizationMessage === undefined
      ? {}
      : { encodedAuthorizationMessage: redact(encodedAuthorizationMessage) }),
  };
}
