// Observability of the running gateway (docs/api.md "Operating endpoints"): metrics after a mixed workload,
// logs that follow one request id, trace context sent to the cloud, readiness without secrets,
// and the three runbook situations of docs/operations.md as an operator would meet them.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { AUDIT_RESULTS } from '../../src/audit/audit-trail.ts';
import { generateCheckpointKey } from '../../src/audit/chain/checkpoint-key.ts';
import { METRIC_SPECS } from '../../src/observability/metrics.ts';
import { OPERATION_NAMES, SERVICES } from '../../src/operations/catalog.ts';
import { DEMO_ACCOUNT } from '../../src/simulator/index.ts';
import {
  DEFAULT_PROJECT,
  startGateway,
  type TestGateway,
  startGatewayFor,
} from '../helpers/gateway.ts';
import { suiteScoped } from '../helpers/suite-scoped.ts';
import { parsePrometheus, type Family } from '../unit/observability/parse-prometheus.ts';

const KEY_ID = '0d0466b0-e727-4d9c-b35d-f84bb474a37f';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
let grants = 0;

/** A grant that exists in the simulator, ready to be revoked. */
function freshGrant(gw: TestGateway): string {
  grants += 1;
  const grantId = grants.toString(16).padStart(64, 'c');
  gw.sim.addKmsGrant(DEFAULT_PROJECT, KEY_ID, grantId);
  return grantId;
}

function revokeGrant(
  gw: TestGateway,
  token: string | undefined,
  grantId: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${gw.url}/v1/kms/keys/${KEY_ID}/grants/${grantId}`, {
    method: 'DELETE',
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
  });
}

type LogLine = Record<string, unknown> & { msg?: string; level?: string };

function logLines(gw: TestGateway): LogLine[] {
  return gw
    .logs()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LogLine);
}

async function scrape(gw: TestGateway): Promise<{ text: string; families: Map<string, Family> }> {
  const answer = await fetch(`${gw.url}/metrics`);
  assert.equal(answer.status, 200);
  assert.match(answer.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await answer.text();
  return { text, families: parsePrometheus(text) };
}

function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const family = families.get(name) ?? families.get(name.replace(/_(count|sum|bucket)$/, ''));
  return family?.samples.find(
    (sample) =>
      sample.name === name &&
      Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  )?.value;
}

/** Waits for a log line (the logs are in memory: checked on every turn of the event loop). */
async function logLine(gw: TestGateway, match: (line: LogLine) => boolean): Promise<LogLine> {
  for (;;) {
    const line = logLines(gw).find(match);
    if (line !== undefined) return line;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('metrics after a mixed workload', () => {
  let gw: TestGateway;
  let families: Map<string, Family>;
  let text: string;
  let jwts: string[];

  before(async () => {
    gw = await startGateway({
      config: {
        rateLimit: { perCaller: 3 },
        upstream: { circuitBreaker: { failureThreshold: 50 } },
      },
      env: { RESCIND_AUDIT_CHECKPOINT_KEY: generateCheckpointKey().privateKeyPem },
    });
    const alice = await gw.token('alice');
    const bob = await gw.token('bob');
    const carol = await gw.token('carol');
    const mallory = await gw.token('mallory', ['outsiders']);
    jwts = [alice, bob, carol, mallory];

    // Revoked (cold token: an exchange), revoked again (a cache hit), retried after a 503.
    assert.equal((await revokeGrant(gw, alice, freshGrant(gw))).status, 200);
    gw.sim.injectFault({ service: 'kms', kind: 'status', status: 503 });
    assert.equal((await revokeGrant(gw, alice, freshGrant(gw))).status, 200);
    // Not found; invalid; unauthenticated; forbidden; a path that is no route.
    assert.equal((await revokeGrant(gw, bob, 'd'.repeat(64))).status, 404);
    assert.equal((await revokeGrant(gw, bob, 'not-a-grant')).status, 400);
    assert.equal((await revokeGrant(gw, undefined, freshGrant(gw))).status, 401);
    assert.equal((await revokeGrant(gw, mallory, freshGrant(gw))).status, 403);
    assert.equal((await fetch(`${gw.url}/v1/no/such/route/${DEMO_ACCOUNT.password}`)).status, 404);
    // The fourth request of one caller in the window is refused.
    for (let n = 0; n < 3; n += 1) await revokeGrant(gw, carol, 'e'.repeat(64));
    assert.equal((await revokeGrant(gw, carol, 'e'.repeat(64))).status, 429);

    ({ text, families } = await scrape(gw));
  });

  after(() => gw.close());

  it('lists every metric family of createMetrics with its type', () => {
    for (const spec of Object.values(METRIC_SPECS)) {
      assert.equal(families.get(spec.name)?.type, spec.type, spec.name);
    }
  });

  it('counts revocations by operation, result and status', () => {
    const name = 'rescind_request_duration_seconds_count';
    const count = (result: string, status: string) =>
      sampleValue(families, name, { operation: 'kms.revokeGrant', result, status });
    assert.equal(count('revoked', '200'), 2);
    assert.equal(count('failed', '404'), 4, "bob's and carol's three");
    assert.equal(count('invalid', '400'), 1);
    assert.equal(count('unauthenticated', '401'), 1);
    assert.equal(count('denied', '403'), 1);
    assert.equal(count('rate-limited', '429'), 1);
  });

  it('times upstream calls by service and status class, and counts the retry', () => {
    const calls = (statusClass: string) =>
      sampleValue(families, 'rescind_upstream_request_duration_seconds_count', {
        service: 'kms',
        status_class: statusClass,
      });
    assert.equal(calls('2xx'), 2);
    assert.equal(calls('5xx'), 1);
    assert.equal(calls('4xx'), 4, 'the 404 and the three allowed requests of carol');
    assert.equal(
      sampleValue(families, 'rescind_upstream_retries_total', { service: 'kms', reason: '503' }),
      1,
    );
    assert.equal(sampleValue(families, 'rescind_upstream_circuit_open', { service: 'kms' }), 0);
  });

  it('counts token exchanges by scope and result, and cache hits', () => {
    // Projects are named by alias: /metrics is read without credentials.
    const scope = 'project:default';
    assert.equal(
      sampleValue(families, 'rescind_token_exchanges_total', { scope, result: 'success' }),
      1,
    );
    assert.ok((sampleValue(families, 'rescind_token_cache_hits_total', { scope }) ?? 0) >= 5);
  });

  it('counts rate-limit rejections', () => {
    assert.equal(sampleValue(families, 'rescind_rate_limit_rejections_total'), 1);
  });

  it('reports the audit store: commit times, chain head, checkpoint age, no failures', () => {
    const commits = sampleValue(families, 'rescind_audit_commit_duration_seconds_count', {
      store: 'sqlite',
    });
    const head = sampleValue(families, 'rescind_audit_chain_head_seq', { chain: 'test' });
    assert.ok(head !== undefined && head >= 10, `head ${String(head)}`);
    assert.equal(commits, head, 'every record was timed');
    assert.ok((sampleValue(families, 'rescind_audit_checkpoint_age_seconds') ?? -1) >= 0);
    assert.equal(sampleValue(families, 'rescind_audit_dangling_attempts_recovered_total'), 0);
    assert.equal(families.get('rescind_audit_write_failures_total')?.samples.length, 0);
  });

  it('exports the Node.js process metrics under the rescind_ prefix', () => {
    for (const name of [
      'rescind_process_cpu_user_seconds_total',
      'rescind_process_resident_memory_bytes',
      'rescind_nodejs_eventloop_lag_seconds',
      'rescind_nodejs_heap_size_used_bytes',
    ]) {
      assert.ok(families.has(name), name);
    }
  });

  it('uses only bounded label values: no path, id, subject or secret', () => {
    const bounded: Record<string, (value: string) => boolean> = {
      operation: (value) => (OPERATION_NAMES as readonly string[]).includes(value),
      result: (value) =>
        [...AUDIT_RESULTS, 'success', 'rejected', 'unavailable', 'throttled'].includes(value),
      status: (value) => /^[1-5]\d\d$/.test(value),
      service: (value) => (SERVICES as readonly string[]).includes(value),
      status_class: (value) => /^([1-5]xx|network|timeout)$/.test(value),
      reason: (value) => /^(\d{3}|token-rejected|[a-z-]{1,32})$/.test(value),
      scope: (value) => /^(domain|own-domain|project:[a-z0-9][a-z0-9_-]{0,31})$/.test(value),
      store: (value) => ['sqlite', 'postgres', 'checkpoints'].includes(value),
      chain: (value) => value === 'test',
      policy: (value) => ['fail-closed', 'fail-open'].includes(value),
      le: () => true,
    };
    const own = new Set<string>(Object.values(METRIC_SPECS).map((spec) => spec.name));
    for (const [name, family] of families) {
      if (!own.has(name)) continue;
      for (const sample of family.samples) {
        for (const [label, value] of Object.entries(sample.labels)) {
          const check = bounded[label];
          assert.ok(check, `${name} has an unexpected label ${label}`);
          assert.ok(check(value), `${name}{${label}="${value}"} is not a bounded value`);
        }
      }
    }
    const calls = gw.sim.calls();
    const secrets = [
      DEMO_ACCOUNT.password,
      ...jwts,
      ...calls.flatMap((call) => (call.token === undefined ? [] : [call.token])),
      'd'.repeat(64),
      'e'.repeat(64),
      '/v1/',
      DEFAULT_PROJECT,
    ];
    for (const secret of secrets) assert.ok(!text.includes(secret), 'no secret or id in /metrics');
  });
});

describe('logs', () => {
  const gw = suiteScoped(() => startGateway({ logLevel: 'trace' }));

  it('writes the request id and the trace id on every line a request causes, and one access line', async () => {
    const token = await gw.token('alice');
    // A cold token (an IAM exchange), a 503 then a refused token (a retry, a replay): every
    // module that logs has something to say about this one request.
    gw.sim.injectFault({ service: 'kms', kind: 'status', status: 503 });
    gw.sim.injectFault({ service: 'kms', kind: 'token-expired' });
    const grantId = freshGrant(gw);
    const before = logLines(gw).length;
    const answer = await revokeGrant(gw, token, grantId, {
      'x-request-id': 'obs-req-1',
      traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`,
    });
    assert.equal(answer.status, 200);
    const access = await logLine(
      gw,
      (line) => line.msg === 'request' && line.requestId === 'obs-req-1',
    );

    const lines = logLines(gw).slice(before);
    const messages = lines.map((line) => line.msg);
    for (const expected of [
      'IAM token issued',
      'upstream attempt failed',
      'IAM token invalidated',
    ]) {
      assert.ok(messages.includes(expected), `"${expected}" was logged: ${messages.join(' | ')}`);
    }
    for (const line of lines) {
      assert.equal(line.requestId, 'obs-req-1', `${String(line.msg)} names the request`);
      assert.equal(line.traceId, TRACE_ID, `${String(line.msg)} names the trace`);
    }
    assert.equal(lines.filter((line) => line.msg === 'request').length, 1);
    assert.deepEqual(
      {
        method: access.method,
        path: access.path,
        status: access.status,
        subject: access.subject,
        operation: access.operation,
        result: access.result,
        upstreamStatus: access.upstreamStatus,
        attempts: access.attempts,
        level: access.level,
      },
      {
        method: 'DELETE',
        path: `/v1/kms/keys/${KEY_ID}/grants/${grantId}`,
        status: 200,
        subject: 'alice',
        operation: 'kms.revokeGrant',
        result: 'revoked',
        upstreamStatus: 200,
        attempts: 3,
        level: 'info',
      },
    );
    assert.equal(typeof access.durationMs, 'number');
  });

  it('never writes the caller JWT, the IAM password or an IAM token', async () => {
    const token = await gw.token('alice');
    await revokeGrant(gw, token, freshGrant(gw));
    await revokeGrant(gw, `${token}x`, freshGrant(gw));
    const logs = gw.logs();
    assert.ok(!logs.includes(token.split('.')[2] ?? token), 'no JWT signature');
    assert.ok(!logs.includes(DEMO_ACCOUNT.password), 'no password');
    for (const call of gw.sim.calls()) {
      if (call.token !== undefined) assert.ok(!logs.includes(call.token.slice(0, 64)), 'no token');
    }
  });

  it('logs probes and scrapes at debug, their failures at info', async () => {
    const before = logLines(gw).length;
    await fetch(`${gw.url}/healthz`);
    await fetch(`${gw.url}/metrics`);
    const probes = logLines(gw)
      .slice(before)
      .filter((line) => line.msg === 'request');
    assert.deepEqual(
      probes.map((line) => [line.path, line.level]),
      [
        ['/healthz', 'debug'],
        ['/metrics', 'debug'],
      ],
    );
  });
});

describe('trace context', () => {
  const gw = suiteScoped(() => startGateway());

  async function traceparentSent(headers: Record<string, string>) {
    gw.sim.clearCalls();
    const token = await gw.token('alice');
    const answer = await revokeGrant(gw, token, freshGrant(gw), headers);
    assert.equal(answer.status, 200);
    const [call] = gw.sim.calls({ service: 'kms' });
    const requestId = answer.headers.get('x-request-id') ?? '';
    const access = await logLine(
      gw,
      (line) => line.msg === 'request' && line.requestId === requestId,
    );
    return { sent: call?.headers.traceparent ?? '', logged: access.traceId };
  }

  it("continues the caller's trace to the cloud with the gateway's own span", async () => {
    const { sent, logged } = await traceparentSent({
      traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`,
    });
    const [version, traceId, spanId, flags] = sent.split('-');
    assert.deepEqual([version, traceId, flags], ['00', TRACE_ID, '01']);
    assert.match(spanId ?? '', /^[0-9a-f]{16}$/);
    assert.notEqual(spanId, CALLER_SPAN);
    assert.equal(logged, TRACE_ID);
  });

  it('starts a trace when the caller sent none, or an invalid one', async () => {
    const invalid = `00-${TRACE_ID.toUpperCase()}-${CALLER_SPAN}-01`;
    for (const headers of [{}, { traceparent: invalid }] as Record<string, string>[]) {
      const { sent, logged } = await traceparentSent(headers);
      assert.match(sent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      const traceId = sent.split('-')[1];
      assert.notEqual(traceId, TRACE_ID.toLowerCase());
      assert.equal(logged, traceId, 'the log names the trace the cloud was sent');
    }
  });
});

describe('readiness', () => {
  it('is ready with every dependency checked: config, audit recovery, audit store', async (t) => {
    const gw = await startGatewayFor(t);
    const answer = await fetch(`${gw.url}/readyz`);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    const body = (await answer.json()) as {
      status: string;
      checks: { name: string; ready: boolean; detail?: string }[];
    };
    assert.equal(body.status, 'ready');
    assert.deepEqual(
      body.checks.map((check) => [check.name, check.ready]),
      [
        ['config', true],
        ['audit-recovery', true],
        ['audit-store', true],
      ],
    );
    assert.match(body.checks[1]?.detail ?? '', /0 dangling attempt/);
    assert.equal(body.checks[2]?.detail, 'sqlite');
    const health = await fetch(`${gw.url}/healthz`);
    assert.deepEqual(await health.json(), { status: 'ok' });
  });

  it('is not ready while the rate-limit Redis is down, and never shows its URL or password', async (t) => {
    const gw = await startGatewayFor(t, {
      env: { RESCIND_RATE_LIMIT_REDIS_URL: 'redis://:secretpw@127.0.0.1:1/0' },
    });
    const answer = await fetch(`${gw.url}/readyz`);
    assert.equal(answer.status, 503);
    const text = await answer.text();
    const body = JSON.parse(text) as {
      status: string;
      checks: { name: string; ready: boolean; reasons: string[] }[];
    };
    assert.equal(body.status, 'not-ready');
    const redis = body.checks.find((check) => check.name === 'rate-limit-store');
    assert.equal(redis?.ready, false);
    assert.deepEqual(redis.reasons, ['rate-limit-store-disconnected']);
    assert.match(gw.logs(), /Redis is not connected/);
    for (const hidden of ['secretpw', '127.0.0.1:1', 'redis://:']) {
      assert.ok(!text.includes(hidden), `readiness shows no ${hidden}`);
    }
    // The revocation itself fails closed, and nothing in the log names the password either.
    const token = await gw.token('alice');
    assert.equal((await revokeGrant(gw, token, freshGrant(gw))).status, 429);
    assert.ok(!gw.logs().includes('secretpw'));
  });
});

describe('runbook situations (docs/operations.md)', () => {
  const doc = readFileSync('docs/operations.md', 'utf8');

  /** The runbook names what the operator sees: codes, metrics, log messages. */
  function assertRunbookMentions(shown: readonly string[]): void {
    for (const text of shown) assert.ok(doc.includes(text), `the runbook mentions ${text}`);
  }

  /** The answer is a `status` `code` problem naming the upstream `service`. */
  async function expectRefusal(
    answered: Promise<Response>,
    status: number,
    code: string,
    service: string,
  ): Promise<Response> {
    const answer = await answered;
    assert.equal(answer.status, status);
    const problem = (await answer.json()) as { code: string; upstream: { service: string } };
    assert.equal(problem.code, code);
    assert.equal(problem.upstream.service, service);
    return answer;
  }

  it('AUDIT_UNAVAILABLE: 503, failures counted, readiness names the store, recovers by itself', async (t) => {
    const gw = await startGatewayFor(t);
    const token = await gw.token('alice');
    assert.equal((await revokeGrant(gw, token, freshGrant(gw))).status, 200);

    // Another process takes the database's write lock, as a stuck backup or a second gateway would.
    const holder = spawn(process.execPath, ['test/fixtures/audit/hold-lock.ts', gw.auditPath], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    t.after(() => {
      if (holder.exitCode === null) holder.kill();
    });
    await once(holder.stdout, 'data');
    gw.sim.clearCalls();

    const refused = await revokeGrant(gw, token, freshGrant(gw));
    assert.equal(refused.status, 503);
    assert.equal(((await refused.json()) as { code: string }).code, 'AUDIT_UNAVAILABLE');
    assert.equal(gw.sim.calls({ service: 'kms' }).length, 0, 'the cloud was not called');

    const readiness = await fetch(`${gw.url}/readyz`);
    assert.equal(readiness.status, 503);
    const reasons = JSON.stringify(await readiness.json());
    assert.match(reasons, /"reasons":\["audit-store-not-durable"\]/);
    assert.ok(!reasons.includes(gw.auditPath), 'the file path is for the log only');
    await logLine(gw, (line) => line.msg === 'not ready' && line.check === 'audit-store');
    const { families } = await scrape(gw);
    assert.ok(
      (sampleValue(families, 'rescind_audit_write_failures_total', { store: 'sqlite' }) ?? 0) >= 1,
    );
    await logLine(gw, (line) => line.msg?.startsWith('audit store failing') === true);

    holder.stdin.end();
    await once(holder, 'exit');
    await logLine(gw, (line) => line.msg === 'audit store recovered');
    assert.equal((await fetch(`${gw.url}/readyz`)).status, 200);
    assert.equal((await revokeGrant(gw, token, freshGrant(gw))).status, 200);

    assertRunbookMentions([
      'AUDIT_UNAVAILABLE',
      'rescind_audit_write_failures_total',
      'audit store failing',
      'audit store recovered',
      'audit-store-not-durable',
    ]);
  });

  it('UPSTREAM_AUTH_FAILED: 502 from IAM, rejected exchanges counted and logged', async (t) => {
    const gw = await startGatewayFor(t, { env: { RESCIND_IAM_PASSWORD: 'not-the-password' } });
    const token = await gw.token('alice');
    await expectRefusal(revokeGrant(gw, token, freshGrant(gw)), 502, 'UPSTREAM_AUTH_FAILED', 'iam');
    assert.equal(gw.sim.calls({ service: 'kms' }).length, 0);

    const { families } = await scrape(gw);
    assert.equal(
      sampleValue(families, 'rescind_token_exchanges_total', {
        scope: 'project:default',
        result: 'rejected',
      }),
      1,
    );
    const line = await logLine(gw, (l) => l.msg === 'IAM token exchange failed');
    assert.equal(line.code, 'UPSTREAM_AUTH_FAILED');
    assert.ok(!gw.logs().includes('not-the-password'));
    assert.equal((await fetch(`${gw.url}/readyz`)).status, 200, 'readiness does not call IAM');

    assertRunbookMentions([
      'UPSTREAM_AUTH_FAILED',
      'rescind_token_exchanges_total',
      'result="rejected"',
      'IAM token exchange failed',
    ]);
  });

  it('an open circuit: 503 UPSTREAM_UNAVAILABLE with Retry-After, the gauge at 1, the state change logged', async (t) => {
    const gw = await startGatewayFor(t, {
      config: {
        upstream: { retries: 0, circuitBreaker: { failureThreshold: 2, openSeconds: 60 } },
      },
    });
    const token = await gw.token('alice');
    gw.sim.injectFault({ service: 'kms', kind: 'status', status: 503, count: 2 });
    assert.equal((await revokeGrant(gw, token, freshGrant(gw))).status, 502);
    assert.equal((await revokeGrant(gw, token, freshGrant(gw))).status, 502);
    gw.sim.clearCalls();

    const refused = await expectRefusal(
      revokeGrant(gw, token, freshGrant(gw)),
      503,
      'UPSTREAM_UNAVAILABLE',
      'kms',
    );
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.equal(gw.sim.calls({ service: 'kms' }).length, 0, 'the open circuit calls nobody');

    const { families } = await scrape(gw);
    assert.equal(sampleValue(families, 'rescind_upstream_circuit_open', { service: 'kms' }), 1);
    assert.equal(sampleValue(families, 'rescind_upstream_circuit_open', { service: 'scm' }), 0);
    const line = await logLine(gw, (l) => l.msg === 'upstream circuit changed state');
    assert.deepEqual([line.service, line.circuit], ['kms', 'open']);

    assertRunbookMentions([
      'UPSTREAM_UNAVAILABLE',
      'rescind_upstream_circuit_open',
      'upstream circuit changed state',
      'Retry-After',
    ]);
  });
});
