// One HTTP or HTTPS request for the gateway's own rare calls (IAM's token exchange, the metadata
// service's key, the SSO's JWKS), with node:http / node:https: the stack the gateway already uses for every
// service call. Not the global `fetch`: that loads Node's second HTTP stack (undici, its WASM
// parser, web streams): megabytes of resident memory for a sidecar that makes a call an hour
// (docs/design/upstream-and-rate-limit.md "The gateway's own calls").
//
// The whole exchange, answer body included, is bounded in time and in bytes. Redirects are not
// followed (node:http never does): IAM's would carry the password to wherever it points (307/308
// resend the body), and a redirect from a link-local address is not the metadata service.

import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readBoundedBody } from './read-bounded-body.ts';

/**
 * The most answer-header bytes read. Node's default (16 KiB) is too tight for IAM: a token in
 * X-Subject-Token is ~9 KB today and grows with the user's roles. Over it, the request fails
 * with HPE_HEADER_OVERFLOW.
 */
export const MAX_ANSWER_HEADER_BYTES = 64 * 1024;

export interface BoundedRequest {
  readonly url: string;
  readonly method: string;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Sent with its Content-Length. Without one, a method other than GET and HEAD still says
   * `Content-Length: 0` (as fetch does) rather than send an empty chunked body.
   */
  readonly body?: string;
  /** The whole exchange, answer body included, is abandoned after this long. */
  readonly timeoutMs: number;
  /** The most of the answer body that is read; the rest is not transferred. */
  readonly maxBodyBytes: number;
}

export interface BoundedText {
  /** The body, or its first `maxBytes` bytes when it was longer. */
  readonly text: string;
  /** False when the body was longer than `maxBytes` and the rest was discarded. */
  readonly complete: boolean;
}

/** Answer headers, read by name in any casing; repeated ones joined with ", " (as fetch does). */
export interface AnswerHeaders {
  get(name: string): string | null;
}

export interface BoundedAnswer {
  readonly status: number;
  readonly headers: AnswerHeaders;
  readonly body: BoundedText;
}

/**
 * Why a request got no complete answer, as a code alone: Node's (ECONNREFUSED, ENOTFOUND,
 * HPE_HEADER_OVERFLOW…), or DEADLINE (`timeoutMs` passed), SOCKET_CLOSED (the connection closed
 * before any answer: Node's "socket hang up"), NETWORK_ERROR (no code). Node's messages are not
 * kept: they may name addresses, and nothing but the code travels on.
 */
export class RequestError extends Error {
  readonly code: string;

  constructor(code: string) {
    super(`request failed: ${code}`);
    this.name = 'RequestError';
    this.code = code;
  }
}

const ERROR_CODE = /^[A-Z][A-Z0-9_]{1,40}$/;

/** Makes one request; rejects with a RequestError only. */
export function requestBounded(options: BoundedRequest): Promise<BoundedAnswer> {
  return new Promise<BoundedAnswer>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: BoundedAnswer | RequestError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (outcome instanceof RequestError) reject(outcome);
      else resolve(outcome);
    };
    let req: ReturnType<typeof httpRequest> | undefined;
    const timer = setTimeout(() => {
      settle(new RequestError('DEADLINE'));
      req?.destroy();
    }, options.timeoutMs);
    try {
      req = send(options, (res) => {
        readBoundedBody(res, options.maxBodyBytes, {
          body: (bytes, truncated) => {
            const body = { text: new TextDecoder().decode(bytes), complete: !truncated };
            settle({ status: res.statusCode ?? 0, headers: headerReader(res.headers), body });
          },
          lost: (error) => {
            settle(error === undefined ? new RequestError('ECONNRESET') : requestError(error));
          },
        });
      });
    } catch (error) {
      // A malformed URL, or a header value Node refuses.
      settle(requestError(error));
      return;
    }
    req.on('error', (error) => {
      settle(requestError(error));
    });
    req.end(bodyOf(options));
  });
}

function send(options: BoundedRequest, onAnswer: (res: IncomingMessage) => void) {
  const url = new URL(options.url);
  const request =
    url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
  if (request === undefined) throw new RequestError('ERR_INVALID_PROTOCOL');
  const headers: Record<string, string> = { ...options.headers };
  const body = bodyOf(options);
  if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
  return request(
    url,
    {
      method: options.method,
      headers,
      maxHeaderSize: MAX_ANSWER_HEADER_BYTES,
      // A connection of its own, closed after the answer: these calls are rare, and no pooled
      // socket may outlive them (or hold the process open while it drains).
      agent: false,
    },
    onAnswer,
  );
}

function bodyOf(options: BoundedRequest): string | undefined {
  if (options.body !== undefined) return options.body;
  return options.method === 'GET' || options.method === 'HEAD' ? undefined : '';
}

function headerReader(headers: IncomingHttpHeaders): AnswerHeaders {
  return {
    get(name) {
      const value = headers[name.toLowerCase()];
      if (value === undefined) return null;
      return typeof value === 'string' ? value : value.join(', ');
    },
  };
}

/** The code of Node's error (or of the first of an AggregateError's), never its message. */
function requestError(error: unknown): RequestError {
  if (error instanceof RequestError) return error;
  const code = codeOf(error) ?? codeOf((error as { errors?: unknown[] } | null)?.errors?.[0]);
  if (code === 'ECONNRESET' && (error as Error).message === 'socket hang up') {
    return new RequestError('SOCKET_CLOSED');
  }
  return new RequestError(code ?? 'NETWORK_ERROR');
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && ERROR_CODE.test(code) ? code : undefined;
}
