// The one module that talks to the cloud, through http-proxy-middleware (v4, on httpxy). Each
// attempt runs on a fresh request/response pair that holds exactly the request the gateway built:
// the caller's request and response never reach httpxy, so no caller header can leak, a caller
// hanging up cannot cancel a revocation in flight, and nothing here writes to the caller. Why
// (httpxy's header copying, `Expect: 100-continue`, disconnects, bounded reads):
// docs/design/upstream-and-rate-limit.md.

import { Agent as HttpAgent, IncomingMessage, ServerResponse, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';
import type { UpstreamRequest } from './build-upstream-request.ts';
import { classifyNetworkError } from './classify-network-error.ts';
import type { NetworkErrorKind, UpstreamAnswer } from './upstream-answer.ts';
import { readBoundedBody } from '../net/read-bounded-body.ts';

export interface UpstreamCall {
  /** The service endpoint (origin and optional base path) with `{region}` filled in. */
  readonly target: string;
  readonly request: UpstreamRequest;
  /** This attempt's limit in ms: the attempt timeout, or less when the deadline is nearer. */
  readonly timeoutMs: number;
}

/** Sends one attempt. Never rejects: failures are answers of their own. */
export type SendUpstream = (call: UpstreamCall) => Promise<UpstreamAnswer>;

export interface SendUpstreamOptions {
  /** At most this many bytes of a response body are read; the rest is not transferred. */
  readonly maxBodyBytes: number;
}

// A pooled connection idle this long is closed by us, before a server's own keep-alive timeout
// (5 s in Node, longer in load balancers) can close it under a new request. A reset then almost
// always means the service saw the request, which is what `sent` claims.
const FREE_SOCKET_TIMEOUT_MS = 4_000;
const MAX_SOCKETS_PER_HOST = 256;

interface Attempt {
  readonly call: UpstreamCall;
  readonly startedAt: number;
  proxyReq: ClientRequest | undefined;
  proxyRes: IncomingMessage | undefined;
  /** The request was completely written to the connection. */
  sent: boolean;
  settled: boolean;
  settle(answer: UpstreamAnswer): void;
}

export function createSendUpstream(options: SendUpstreamOptions): SendUpstream {
  const attempts = new WeakMap<IncomingMessage, Attempt>();
  const attemptOf = (req: IncomingMessage): Attempt | undefined => attempts.get(req);

  const fail = (attempt: Attempt, error: NetworkErrorKind, sent = attempt.sent): void => {
    attempt.settle({
      error,
      sent,
      durationMs: performance.now() - attempt.startedAt,
    });
  };

  const createMiddleware = (agent: HttpAgent): RequestHandler =>
    createProxyMiddleware({
      router: (req) => {
        const attempt = attemptOf(req);
        if (attempt === undefined) throw new Error('upstream attempt state missing');
        return attempt.call.target;
      },
      changeOrigin: true,
      selfHandleResponse: true,
      agent,
      on: {
        proxyReq: (proxyReq, req) => {
          const attempt = attemptOf(req);
          if (attempt === undefined) return;
          attempt.proxyReq = proxyReq;
          if (attempt.settled) {
            // The attempt timed out before the connection was even assigned.
            proxyReq.destroy();
            return;
          }
          proxyReq.once('finish', () => {
            attempt.sent = true;
          });
        },
        proxyRes: (proxyRes, req) => {
          const attempt = attemptOf(req);
          if (attempt === undefined) {
            proxyRes.destroy();
            return;
          }
          attempt.proxyRes = proxyRes;
          readAnswer(attempt, proxyRes, options.maxBodyBytes);
        },
        error: (error, req) => {
          const attempt = attemptOf(req);
          if (attempt !== undefined) fail(attempt, classifyNetworkError(error));
        },
        // httpxy reports some resets here instead of through `error`.
        econnreset: (error, req) => {
          const attempt = attemptOf(req);
          if (attempt !== undefined) fail(attempt, classifyNetworkError(error));
        },
      },
    });

  const middlewares = {
    'http:': createMiddleware(
      new HttpAgent({
        keepAlive: true,
        maxSockets: MAX_SOCKETS_PER_HOST,
        timeout: FREE_SOCKET_TIMEOUT_MS,
      }),
    ),
    'https:': createMiddleware(
      new HttpsAgent({
        keepAlive: true,
        maxSockets: MAX_SOCKETS_PER_HOST,
        timeout: FREE_SOCKET_TIMEOUT_MS,
      }),
    ),
  };

  return function sendUpstream(call) {
    const protocol = URL.parse(call.target)?.protocol;
    if (protocol !== 'http:' && protocol !== 'https:') {
      return Promise.resolve({ error: 'other', sent: false, durationMs: 0 });
    }
    const middleware = middlewares[protocol];
    return new Promise<UpstreamAnswer>((resolve) => {
      const req = requestFor(call.request);
      const res = new ServerResponse(req);
      const attempt: Attempt = {
        call,
        startedAt: performance.now(),
        proxyReq: undefined,
        proxyRes: undefined,
        sent: false,
        settled: false,
        settle(answer) {
          if (attempt.settled) return;
          attempt.settled = true;
          clearTimeout(timer);
          resolve(answer);
          // Lets httpxy's own promise and its listeners go: they wait for `res` to close.
          res.emit('close');
        },
      };
      attempts.set(req, attempt);

      const timer = setTimeout(
        () => {
          fail(attempt, 'timeout', attempt.sent || attempt.proxyRes !== undefined);
          attempt.proxyRes?.destroy();
          attempt.proxyReq?.destroy();
        },
        Math.max(0, call.timeoutMs),
      );

      middleware(req, res, (error: unknown) => {
        // Only a failure before any connection (no target) gets here.
        fail(attempt, error === undefined ? 'other' : classifyNetworkError(error), false);
      }).catch((error: unknown) => {
        fail(attempt, classifyNetworkError(error), false);
      });
    });
  };
}

/** The attempt's own request: exactly the method, path, headers and body we built. */
function requestFor(request: UpstreamRequest): IncomingMessage {
  const message = new IncomingMessage(new Socket());
  message.method = request.method;
  message.url = request.path;
  message.httpVersionMajor = 1;
  message.httpVersionMinor = 1;
  message.httpVersion = '1.1';
  message.headers = { ...request.headers };
  // A message that ends without being `complete` counts as aborted and destroys its socket.
  message.complete = true;
  if (request.body !== undefined) message.push(request.body);
  message.push(null);
  return message;
}

/** The service's answer, read up to `maxBytes`; cut off mid-body, the answer was lost. */
function readAnswer(attempt: Attempt, proxyRes: IncomingMessage, maxBytes: number): void {
  const durationMs = () => performance.now() - attempt.startedAt;
  readBoundedBody(proxyRes, maxBytes, {
    body: (body, truncated) => {
      attempt.settle({
        status: proxyRes.statusCode ?? 0,
        headers: proxyRes.headers,
        body,
        truncated,
        durationMs: durationMs(),
      });
    },
    lost: () => {
      attempt.settle({ error: 'reset', sent: true, durationMs: durationMs() });
    },
  });
}
