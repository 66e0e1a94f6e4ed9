// The world the revoker's integration tests run in: the cloud simulator, a real token provider
// against its IAM, and a tiny Express 5 app whose one route reads the body (express.raw, as the
// pipeline does) and then calls revoker.revoke() and answers the result as JSON. Callers send
// an SSO-style Authorization header, a cookie, forwarded headers and a body, none of which may
// reach the cloud.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import express from 'express';
import { Registry } from 'prom-client';
import type { Config } from '../../../src/config/schema.ts';
import type { TokenProvider } from '../../../src/iam/token-provider.ts';
import { createMetrics, type Metrics } from '../../../src/observability/metrics.ts';
import { findOperation } from '../../../src/operations/catalog.ts';
import type { UpstreamSummary } from '../../../src/problems/problem-error.ts';
import { DEMO_PROJECTS, startSimulator, type Simulator } from '../../../src/simulator/index.ts';
import { createRevoker } from '../../../src/upstream/create-revoker.ts';
import type { RevocationResult } from '../../../src/upstream/revoker.ts';
import { createSimTokenProvider, type SimTokenProvider } from './sim-token-provider.ts';
import { captureLogger } from '../../helpers/log-capture.ts';

export const PROJECT = (() => {
  const project = DEMO_PROJECTS[0];
  if (project === undefined) throw new Error('no demo project');
  return { alias: 'default', id: project.id, region: project.name };
})();

export const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** What a caller would never want forwarded to the cloud. */
export const CALLER_HEADERS = {
  authorization: 'Bearer caller.sso.jwt',
  cookie: 'session=caller-cookie',
  'x-forwarded-for': '203.0.113.9',
  'x-forwarded-host': 'gateway.example',
  'x-forwarded-proto': 'https',
  'content-type': 'application/json',
};
export const CALLER_BODY = '{"callerSecret":"never-forwarded"}';

export const TEST_UPSTREAM: Config['upstream'] = {
  attemptTimeoutMs: 500,
  deadlineMs: 5_000,
  retries: 2,
  backoffBaseMs: 5,
  backoffMaxMs: 20,
  maxBodyBytes: 64 * 1024,
  throttleRetryAfterSeconds: 3,
  // Out of the way unless a test is about the breaker.
  circuitBreaker: { failureThreshold: 1_000, openSeconds: 30 },
};

/** The revocation result as the harness route answers it. */
export interface HarnessResult {
  readonly kind: 'revoked' | 'failed';
  readonly attempts: number;
  readonly upstream?: UpstreamSummary;
  readonly reason?: string;
  readonly code?: string;
  readonly status?: number;
  readonly retryAfter?: number;
  readonly detail?: string;
  readonly outcomeUnknown?: boolean;
}

export interface WorldOptions {
  readonly upstream?: Partial<Config['upstream']>;
  /** Wraps the simulator-backed token provider. */
  readonly tokens?: (real: SimTokenProvider) => TokenProvider;
  /** Epoch ms for the revoker and the request deadlines. */
  readonly clock?: () => number;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface World {
  readonly sim: Simulator;
  readonly tokens: SimTokenProvider;
  readonly metrics: Metrics;
  readonly upstream: Config['upstream'];
  readonly url: string;
  /** Everything logged so far. */
  logs(): string;
  revoke(
    operation: string,
    target: Record<string, string>,
    init?: { requestId?: string; signal?: AbortSignal },
  ): Promise<HarnessResult>;
  /** Resolves with the next revocation's result, whether or not its caller stayed. */
  nextResult(): Promise<RevocationResult>;
  /** Resolves when the next revocation starts. */
  nextStart(): Promise<void>;
}

export async function startWorld(t: TestContext, options: WorldOptions = {}): Promise<World> {
  const sim = await startSimulator();
  t.after(() => sim.close());
  const clock = options.clock ?? Date.now;
  const upstream = { ...TEST_UPSTREAM, ...options.upstream };
  const tokens = createSimTokenProvider(sim.url);
  const metrics = createMetrics(new Registry(), { process: false });
  const { logger, text: logs } = captureLogger('debug');
  const revoker = createRevoker({
    upstream,
    endpoints: () => sim.url,
    tokens: options.tokens?.(tokens) ?? tokens,
    metrics,
    logger,
    clock,
    ...(options.random === undefined ? {} : { random: options.random }),
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
  });

  const resultWaiters: ((result: RevocationResult) => void)[] = [];
  const startWaiters: (() => void)[] = [];
  const app = express();
  app.delete('/revoke/:operation', express.raw({ type: () => true }), async (req, res) => {
    const operation = findOperation(req.params.operation);
    if (operation === undefined) {
      res.status(404).json({ error: 'no such operation' });
      return;
    }
    const raw = typeof req.query.target === 'string' ? req.query.target : '{}';
    const target = JSON.parse(raw) as Record<string, string>;
    for (const wake of startWaiters.splice(0)) wake();
    const result = await revoker.revoke({
      operation,
      project: PROJECT,
      target,
      requestId: req.get('x-request-id') ?? randomUUID(),
      traceparent: TRACEPARENT,
      deadline: clock() + upstream.deadlineMs,
    });
    for (const wake of resultWaiters.splice(0)) wake(result);
    if (!res.destroyed) res.json(toHarnessResult(result));
  });
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    sim,
    tokens,
    metrics,
    upstream,
    url,
    logs,
    async revoke(operation, target, init = {}) {
      const response = await fetch(
        `${url}/revoke/${operation}?target=${encodeURIComponent(JSON.stringify(target))}`,
        {
          method: 'DELETE',
          headers: {
            ...CALLER_HEADERS,
            ...(init.requestId === undefined ? {} : { 'x-request-id': init.requestId }),
          },
          body: CALLER_BODY,
          ...(init.signal === undefined ? {} : { signal: init.signal }),
        },
      );
      if (response.status !== 200) throw new Error(`harness answered ${response.status}`);
      return (await response.json()) as HarnessResult;
    },
    nextResult: () =>
      new Promise((resolve) => {
        resultWaiters.push(resolve);
      }),
    nextStart: () =>
      new Promise((resolve) => {
        startWaiters.push(resolve);
      }),
  };
}

function toHarnessResult(result: RevocationResult): HarnessResult {
  if (result.kind === 'revoked') {
    return {
      kind: 'revoked',
      attempts: result.attempts,
      upstream: result.upstream,
      ...(result.reason === undefined ? {} : { reason: result.reason }),
    };
  }
  const { problem } = result;
  return {
    kind: 'failed',
    attempts: result.attempts,
    code: problem.code,
    status: problem.status,
    ...(problem.retryAfter === undefined ? {} : { retryAfter: problem.retryAfter }),
    ...(problem.upstream === undefined ? {} : { upstream: problem.upstream }),
    ...(problem.detail === undefined ? {} : { detail: problem.detail }),
    ...(result.outcomeUnknown === undefined ? {} : { outcomeUnknown: result.outcomeUnknown }),
  };
}
