// IAM's answer to POST /v3/auth/tokens, turned into a token or a ProblemError. Pure: the
// exchange does the I/O, this decides what the answer means (docs/api.md "Cloud credentials", "Errors").
import type { AnswerHeaders, BoundedText } from '../net/request-bounded.ts';
import type { ProblemError, UpstreamSummary } from '../problems/problem-error.ts';
import { readErrorEnvelope, type ErrorEnvelope } from '../upstream/read-error-envelope.ts';
import { redactText, type Secret } from '../text/redact-secrets.ts';
import { safeRequestId } from '../text/safe-request-id.ts';
import { scrubText } from '../text/scrub-text.ts';
import { iamFailure } from './iam-failure.ts';
import { parseKeystoneTime } from './parse-keystone-time.ts';
import { parseRetryAfter } from './parse-retry-after.ts';

/** A token as IAM issued it. `value` is a secret: never log, return or audit it. */
export interface ExchangedToken {
  readonly value: string;
  /** Epoch ms of `token.expires_at`. */
  readonly expiresAt: number;
  /**
   * Epoch ms of `token.issued_at`, or of when the request was sent when IAM gave none. Only
   * `expiresAt - issuedAt` (the lifetime) is used, so IAM's clock is compared with itself.
   */
  readonly issuedAt: number;
}

export interface IamAnswer {
  readonly status: number;
  readonly headers: AnswerHeaders;
  readonly body: BoundedText;
}

export interface ParseIamAnswerOptions {
  /** Epoch ms of sending the request, the fallback for a missing `issued_at`. */
  readonly sentAt: number;
  /** Epoch ms now, for an HTTP-date Retry-After. */
  readonly now: number;
  /** What must not survive into `upstream.message` (the password, a token), in any form. */
  readonly secrets: readonly Secret[];
}

export type ParsedIamAnswer =
  | { readonly ok: true; readonly token: ExchangedToken; readonly requestId?: string }
  | { readonly ok: false; readonly error: ProblemError };

const MAX_MESSAGE_LENGTH = 300;

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : undefined;
const asText = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== ''
    ? value.trim()
    : typeof value === 'number' && Number.isFinite(value)
      ? String(value)
      : undefined;

function parseJson(body: BoundedText): Json | undefined {
  if (!body.complete) return undefined;
  try {
    return asObject(JSON.parse(body.text));
  } catch {
    return undefined;
  }
}

/**
 * IAM's message, made safe to show: every quote of a secret replaced, whole, cut short or
 * encoded (Keystone's schema errors can quote the request back, password included), control
 * characters dropped, length bounded.
 */
export function scrubMessage(message: string, secrets: readonly Secret[]): string {
  return scrubText(redactText(message, secrets), {
    controls: 'space',
    trim: true,
    maxLength: MAX_MESSAGE_LENGTH,
    ellipsis: 'within',
  });
}

/** IAM's request id if it looks like one; it is echoed to callers, so it too may hold no secret. */
function iamRequestId(
  value: string | null | undefined,
  secrets: readonly Secret[],
): string | undefined {
  const id = safeRequestId(value, 'iam');
  return id !== undefined && redactText(id, secrets) === id ? id : undefined;
}

function upstreamOf(
  answer: IamAnswer,
  fields: ErrorEnvelope,
  secrets: readonly Secret[],
): Omit<UpstreamSummary, 'service'> {
  const requestId =
    iamRequestId(answer.headers.get('x-request-id'), secrets) ??
    iamRequestId(fields.requestId, secrets);
  const message = fields.message === undefined ? undefined : scrubMessage(fields.message, secrets);
  const code = fields.code === undefined ? undefined : scrubMessage(fields.code, secrets);
  // An opaque blob: passed on whole, or not at all if it holds a secret.
  const encoded =
    fields.encodedAuthorizationMessage !== undefined &&
    redactText(fields.encodedAuthorizationMessage, secrets) === fields.encodedAuthorizationMessage
      ? fields.encodedAuthorizationMessage
      : undefined;
  return {
    status: answer.status,
    ...(code === undefined || code === '' ? {} : { code }),
    ...(message === undefined || message === '' ? {} : { message }),
    ...(requestId === undefined ? {} : { requestId }),
    ...(encoded === undefined ? {} : { encodedAuthorizationMessage: encoded }),
  };
}

export function parseIamAnswer(answer: IamAnswer, options: ParseIamAnswerOptions): ParsedIamAnswer {
  const { status, headers } = answer;
  const json = parseJson(answer.body);
  if (status >= 200 && status < 300) return parseIssuedToken(answer, json, options);

  // The one reader of every error body, the services' too (docs/upstream.md "Error bodies").
  const upstream = upstreamOf(
    answer,
    json === undefined ? {} : readErrorEnvelope(json),
    options.secrets,
  );
  const fail = (error: ProblemError): ParsedIamAnswer => ({ ok: false, error });
  if (status === 401 || status === 403) {
    return fail(
      iamFailure('rejected', {
        detail: "IAM rejected the gateway's service credentials.",
        upstream,
      }),
    );
  }
  // Worth another try later: after IAM's Retry-After, when it sent one.
  const retryable = (kind: 'throttled' | 'unavailable', detail: string): ParsedIamAnswer => {
    const retryAfter = parseRetryAfter(headers.get('retry-after'), options.now);
    return fail(
      iamFailure(kind, { detail, upstream, ...(retryAfter === undefined ? {} : { retryAfter }) }),
    );
  };
  if (status === 429) {
    return retryable('throttled', 'IAM is throttling token requests from the gateway.');
  }
  if (status >= 500 || status === 408) {
    return retryable('unavailable', 'IAM could not issue a token right now.');
  }
  // Any other answer (400 malformed request, 404 wrong path, a 3xx from a misconfigured
  // endpoint) means the gateway's IAM configuration is wrong: retrying will not help, and the
  // operator has to fix the credentials or endpoint, which is what UPSTREAM_AUTH_FAILED tells.
  return fail(
    iamFailure('rejected', {
      detail: `IAM refused the gateway's token request (HTTP ${status}); check the IAM settings.`,
      upstream,
    }),
  );
}

function parseIssuedToken(
  answer: IamAnswer,
  json: Json | undefined,
  options: ParseIamAnswerOptions,
): ParsedIamAnswer {
  const requestId = iamRequestId(answer.headers.get('x-request-id'), options.secrets);
  const unreadable = (detail: string): ParsedIamAnswer => ({
    ok: false,
    error: iamFailure('unavailable', {
      detail,
      upstream: { status: answer.status, ...(requestId === undefined ? {} : { requestId }) },
    }),
  });
  // AnswerHeaders.get is case-insensitive: X-Subject-Token, x-subject-token and any other casing.
  const value = answer.headers.get('x-subject-token')?.trim() ?? '';
  if (value === '') return unreadable('IAM answered without a token.');
  const token = asObject(json?.token);
  const expiresText = asText(token?.expires_at);
  const expiresAt = expiresText === undefined ? undefined : parseKeystoneTime(expiresText);
  if (expiresAt === undefined) {
    return unreadable('IAM answered with a token whose expiry could not be read.');
  }
  const issuedText = asText(token?.issued_at);
  const issued = issuedText === undefined ? undefined : parseKeystoneTime(issuedText);
  const issuedAt = issued !== undefined && issued <= expiresAt ? issued : options.sentAt;
  return {
    ok: true,
    token: { value, expiresAt, issuedAt },
    ...(requestId === undefined ? {} : { requestId }),
  };
}
