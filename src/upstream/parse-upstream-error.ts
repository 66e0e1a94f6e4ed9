// One pure function from whatever came back (or did not) to the facts the gateway reports:
// status, the cloud's code and message, its request id. JSON error bodies are read by the one
// reader of every envelope (read-error-envelope.ts, docs/upstream.md "Error bodies"); load
// balancers answer with HTML pages, empty bodies or cut-off JSON, which are told apart here.

import { MAX_UPSTREAM_MESSAGE_CHARS } from '../problems/render-problem.ts';
import { safeRequestId } from '../text/safe-request-id.ts';
import { boundLength } from '../text/scrub-text.ts';
import { readErrorEnvelope } from './read-error-envelope.ts';
import {
  headerValue,
  isNetworkFailure,
  type NetworkErrorKind,
  type UpstreamAnswer,
} from './upstream-answer.ts';

export type UpstreamFaultKind =
  /** JSON with a recognized error envelope. */
  | 'envelope'
  /** Valid JSON without one. */
  | 'json'
  | 'html'
  /** Some other non-JSON text. */
  | 'text'
  | 'empty'
  /** Starts like JSON but does not parse (cut off, or broken). */
  | 'truncated-json'
  /** Longer than the read cap; only its beginning was read. */
  | 'oversized'
  /** No answer at all; see `network`. */
  | 'network';

export interface UpstreamFault {
  readonly kind: UpstreamFaultKind;
  readonly status?: number;
  readonly code?: string;
  /** The cloud's own words, at most 1,024 characters. */
  readonly message?: string;
  /** The cloud's request id: the X-Request-Id header, else the body's `request_id`. */
  readonly requestId?: string;
  /** The raw Retry-After header, when the cloud sent one. */
  readonly retryAfter?: string;
  readonly network?: NetworkErrorKind;
  /** For network failures: the request may have reached the service. */
  readonly sent?: boolean;
  /** The policy denial, encoded; passed on as `upstream.encodedAuthorizationMessage`. */
  readonly encodedAuthorizationMessage?: string;
}

type Json = Record<string, unknown>;

export function parseUpstreamError(answer: UpstreamAnswer): UpstreamFault {
  if (isNetworkFailure(answer)) {
    return { kind: 'network', network: answer.error, sent: answer.sent };
  }
  const headerRequestId = safeToken(headerValue(answer.headers, 'x-request-id'));
  const retryAfter = headerValue(answer.headers, 'retry-after');
  const base = {
    status: answer.status,
    ...(retryAfter === undefined ? {} : { retryAfter }),
  };
  const withRequestId = (bodyRequestId: string | undefined) => {
    const requestId = headerRequestId ?? bodyRequestId;
    return requestId === undefined ? {} : { requestId };
  };

  if (answer.truncated) return { kind: 'oversized', ...base, ...withRequestId(undefined) };

  const text = answer.body
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trim();
  if (text === '') return { kind: 'empty', ...base, ...withRequestId(undefined) };

  if (text.startsWith('{') || text.startsWith('[') || text.startsWith('"')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { kind: 'truncated-json', ...base, ...withRequestId(undefined) };
    }
    if (!isObject(parsed)) return { kind: 'json', ...base, ...withRequestId(undefined) };
    const envelope = readErrorEnvelope(parsed);
    return {
      kind: envelope.code === undefined && envelope.message === undefined ? 'json' : 'envelope',
      ...base,
      ...withRequestId(safeToken(envelope.requestId)),
      ...(envelope.code === undefined ? {} : { code: envelope.code }),
      ...(envelope.message === undefined
        ? {}
        : { message: boundLength(envelope.message, MAX_UPSTREAM_MESSAGE_CHARS) }),
      ...(envelope.encodedAuthorizationMessage === undefined
        ? {}
        : { encodedAuthorizationMessage: envelope.encodedAuthorizationMessage }),
    };
  }

  const contentType = headerValue(answer.headers, 'content-type') ?? '';
  if (text.startsWith('<') || /html/i.test(contentType)) {
    const title = htmlTitle(text);
    return {
      kind: 'html',
      ...base,
      ...withRequestId(undefined),
      ...(title === undefined ? {} : { message: title }),
    };
  }
  // Free text from a proxy may name internal hosts or addresses: it is not passed on.
  return { kind: 'text', ...base, ...withRequestId(undefined) };
}

/** Request ids are opaque tokens; anything else (spaces, control characters, huge) is dropped. */
function safeToken(value: unknown): string | undefined {
  return safeRequestId(value, 'cloud');
}

/**
 * The page's <title> when it is a bare status line ("502 Bad Gateway"). Anything else in an
 * HTML page is not passed on: it may name internal hosts.
 */
function htmlTitle(html: string): string | undefined {
  const match = /<title[^>]*>([^<]{1,200})<\/title>/i.exec(html);
  const title = match?.[1]?.replace(/\s+/g, ' ').trim();
  return title !== undefined && /^\d{3}(?: [A-Za-z][A-Za-z' -]*)?$/.test(title) ? title : undefined;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
