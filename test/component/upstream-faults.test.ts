// Every row of docs/api.md "Errors" that comes from the cloud, produced by the simulator's fault
// injection and observed through the whole gateway — what the caller sees, what the cloud
// received, and what the audit trail says. Then the retry rules, the circuit breaker and the
// 2xx answers that contradict their seed. (The simulator applies a `delay` after its wait whatever
// `takesEffect` says, so "a timed-out attempt that took effect" is modelled with `hang`.)

import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as wait } from 'node:timers/promises';
import type { FaultSpec } from '../../src/simulator/index.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { suiteScoped } from '../helpers/suite-scoped.ts';
import {
  assertNothingInternal,
  assertProblem,
  auditOutcomeOf,
  auditOutcomeRecordOf,
  call,
  closedPort,
  createTarget,
  type Answer,
  type OperationName,
  type Target,
  type TargetOptions,
  FIXTURE_OPERATIONS,
} from './support-faults-http.ts';

/** A fault for the target's own service. */
type Fault = FaultSpec extends infer F ? (F extends unknown ? Omit<F, 'service'> : never) : never;

const RETRIES = 2;
const ATTEMPT_TIMEOUT_MS = 250;
const THROTTLE_RETRY_AFTER_SECONDS = 3;
const IAM_RETRY_AFTER_SECONDS = 5;
/** The simulator's request ids (X-Request-Id on every answer). */
const SIM_REQUEST_ID = /^[0-9a-f]{32}$/;

const FAST_UPSTREAM = {
  attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
  deadlineMs: 4000,
  retries: RETRIES,
  backoffBaseMs: 1,
  backoffMaxMs: 10,
  throttleRetryAfterSeconds: THROTTLE_RETRY_AFTER_SECONDS,
  // The table's failures must not open a circuit for the rows after them.
  circuitBreaker: { failureThreshold: 1000, openSeconds: 1 },
};

interface UpstreamExpectation {
  readonly status?: number;
  readonly code?: string;
  /** Exact, a pattern, or a length the message is capped to. */
  readonly message?: string | RegExp | { readonly length: number };
  /** Whether the cloud's request id is reported (it is when the cloud answered at all). */
  readonly requestId: boolean;
}

interface FaultRow {
  readonly title: string;
  readonly target: OperationName;
  readonly targetOptions?: TargetOptions;
  readonly faults: readonly Fault[];
  readonly status: number;
  readonly code: string;
  /** Upstream attempts, as audited; also the calls the service received. */
  readonly attempts: number;
  /** Token exchanges the request caused (tokens are warm before the table). */
  readonly iamCalls?: number;
  readonly upstream: UpstreamExpectation;
  /** Exact seconds, or 'positive' for any whole number of seconds above zero. */
  readonly retryAfter?: number | 'positive';
  /** The audit outcome's `reason`. */
  readonly reason?: string;
}

const FOREVER = Infinity;

/**
 * A fault on every attempt, any of which may have taken effect: RETRIES + 1 attempts, and the
 * audited outcome is unknown.
 */
function unknownAfterEveryAttempt(
  row: Omit<FaultRow, 'faults' | 'attempts' | 'reason'> & { readonly fault: Fault },
): FaultRow {
  const { fault, ...rest } = row;
  return {
    ...rest,
    faults: [{ ...fault, count: FOREVER }],
    attempts: RETRIES + 1,
    reason: 'outcome-unknown',
  };
}

const ROWS: readonly FaultRow[] = [
  {
    title: 'the cloud answers 400: 400 UPSTREAM_REJECTED with its message capped at 1,024 chars',
    target: 'scm.revokePrivacy',
    faults: [
      {
        kind: 'status',
        status: 400,
        body: { error_code: 'SCM.0001', error_msg: 'Invalid parameter. '.repeat(300) },
      },
    ],
    status: 400,
    code: 'UPSTREAM_REJECTED',
    attempts: 1,
    upstream: { status: 400, code: 'SCM.0001', message: { length: 1024 }, requestId: true },
  },
  {
    title: 'the cloud answers 401 twice: one fresh token, then 502 UPSTREAM_AUTH_FAILED',
    target: 'apig.deleteCertificate',
    faults: [{ kind: 'token-expired', count: 2 }],
    status: 502,
    code: 'UPSTREAM_AUTH_FAILED',
    attempts: 2,
    iamCalls: 1,
    upstream: {
      status: 401,
      code: 'APIGW.0307',
      message: 'The token must be updated.',
      requestId: true,
    },
  },
  {
    title: 'KMS answers 403 KMS.0303 twice: one fresh token, then 502 UPSTREAM_AUTH_FAILED',
    target: 'kms.revokeGrant',
    faults: [{ kind: 'token-expired', count: 2 }],
    status: 502,
    code: 'UPSTREAM_AUTH_FAILED',
    attempts: 2,
    iamCalls: 1,
    upstream: { status: 403, code: 'KMS.0303', message: 'The token has expired.', requestId: true },
  },
  {
    title: 'the cloud answers 403: 502 UPSTREAM_FORBIDDEN, not retried',
    target: 'modelarts.deleteAuthorization',
    faults: [
      {
        kind: 'status',
        status: 403,
        body: { error_code: 'ModelArts.0112', error_msg: 'Insufficient permissions.' },
      },
    ],
    status: 502,
    code: 'UPSTREAM_FORBIDDEN',
    attempts: 1,
    upstream: {
      status: 403,
      code: 'ModelArts.0112',
      message: 'Insufficient permissions.',
      requestId: true,
    },
  },
  {
    title: 'the cloud answers 404: 404 NOT_FOUND with the cloud’s code',
    target: 'kms.revokeGrant',
    targetOptions: { exists: false },
    faults: [],
    status: 404,
    code: 'NOT_FOUND',
    attempts: 1,
    upstream: {
      status: 404,
      code: 'KMS.0207',
      message: 'The grant does not exist.',
      requestId: true,
    },
  },
  {
    title: 'the cloud answers 409 (certificate still bound): 409 CONFLICT',
    target: 'apig.deleteCertificate',
    targetOptions: { bound: true },
    faults: [],
    status: 409,
    code: 'CONFLICT',
    attempts: 1,
    upstream: { status: 409, code: 'APIG.4018', message: /bound to domain names/, requestId: true },
  },
  {
    title: 'APIG throttles (429 APIG.0308, no Retry-After): 429 UPSTREAM_THROTTLED, Retry-After 3',
    target: 'apig.deleteCertificate',
    faults: [{ kind: 'throttle' }],
    status: 429,
    code: 'UPSTREAM_THROTTLED',
    attempts: 1,
    retryAfter: THROTTLE_RETRY_AFTER_SECONDS,
    upstream: { status: 429, code: 'APIG.0308', message: /throttling threshold/, requestId: true },
  },
  {
    title: 'KMS throttles (429 KMS.0308, no Retry-After): 429 UPSTREAM_THROTTLED, Retry-After 3',
    target: 'kms.revokeGrant',
    faults: [{ kind: 'throttle' }],
    status: 429,
    code: 'UPSTREAM_THROTTLED',
    attempts: 1,
    retryAfter: THROTTLE_RETRY_AFTER_SECONDS,
    upstream: {
      status: 429,
      code: 'KMS.0308',
      message: 'The request rate exceeds the limit.',
      requestId: true,
    },
  },
  {
    title: 'a 429 that carries Retry-After: 429 UPSTREAM_THROTTLED passing the cloud’s seconds on',
    target: 'modelarts.deleteAuthorization',
    faults: [
      {
        kind: 'status',
        status: 429,
        headers: { 'Retry-After': '7' },
        body: { error_code: 'ModelArts.0013', error_msg: 'Too many requests.' },
      },
    ],
    status: 429,
    code: 'UPSTREAM_THROTTLED',
    attempts: 1,
    retryAfter: 7,
    upstream: {
      status: 429,
      code: 'ModelArts.0013',
      message: 'Too many requests.',
      requestId: true,
    },
  },
  {
    title: 'the cloud answers 500: 502 UPSTREAM_ERROR, not retried',
    target: 'scm.deleteCsr',
    faults: [
      { kind: 'status', status: 500, body: { error_code: 'SCM.9999', error_msg: 'System error' } },
    ],
    status: 502,
    code: 'UPSTREAM_ERROR',
    attempts: 1,
    upstream: { status: 500, code: 'SCM.9999', message: 'System error', requestId: true },
  },
  unknownAfterEveryAttempt({
    title: 'the cloud answers 502 forever: 502 UPSTREAM_ERROR after every retry, outcome unknown',
    target: 'kms.revokeGrant',
    fault: {
      kind: 'status',
      status: 502,
      body: { error: { error_code: 'KMS.0101', error_msg: 'Bad gateway.' } },
    },
    status: 502,
    code: 'UPSTREAM_ERROR',
    upstream: { status: 502, code: 'KMS.0101', message: 'Bad gateway.', requestId: true },
  }),
  {
    title: 'the cloud answers 503 forever: 502 UPSTREAM_ERROR after every retry',
    target: 'scm.revokePrivacy',
    faults: [
      {
        kind: 'status',
        status: 503,
        count: FOREVER,
        body: { error_code: 'SCM.0503', error_msg: 'Service unavailable.' },
      },
    ],
    status: 502,
    code: 'UPSTREAM_ERROR',
    attempts: RETRIES + 1,
    upstream: { status: 503, code: 'SCM.0503', message: 'Service unavailable.', requestId: true },
  },
  unknownAfterEveryAttempt({
    title: 'the cloud answers 504 forever: 502 UPSTREAM_ERROR after every retry, outcome unknown',
    target: 'modelarts.deleteAuthorization',
    fault: { kind: 'status', status: 504 },
    status: 502,
    code: 'UPSTREAM_ERROR',
    upstream: { status: 504, requestId: true },
  }),
  unknownAfterEveryAttempt({
    title: 'a load balancer’s HTML page: 502 UPSTREAM_ERROR with at most the page’s status title',
    target: 'apig.deleteCertificate',
    fault: { kind: 'html' },
    status: 502,
    code: 'UPSTREAM_ERROR',
    upstream: { status: 502, message: '502 Bad Gateway', requestId: true },
  }),
  unknownAfterEveryAttempt({
    title: 'an empty error body: 502 UPSTREAM_ERROR',
    target: 'scm.revokePrivacy',
    fault: { kind: 'empty' },
    status: 502,
    code: 'UPSTREAM_ERROR',
    upstream: { status: 502, requestId: true },
  }),
  {
    title: 'a JSON error cut off mid-way: 502 UPSTREAM_ERROR',
    target: 'kms.revokeGrant',
    faults: [{ kind: 'truncated-json' }],
    status: 502,
    code: 'UPSTREAM_ERROR',
    attempts: 1,
    upstream: { status: 500, requestId: true },
  },
  {
    title: 'a 10 MB error page: 502 UPSTREAM_ERROR from its first bytes',
    target: 'modelarts.deleteAuthorization',
    faults: [{ kind: 'oversized', status: 500, sizeBytes: 10 * 1024 * 1024 }],
    status: 502,
    code: 'UPSTREAM_ERROR',
    attempts: 1,
    upstream: { status: 500, requestId: true },
  },
  unknownAfterEveryAttempt({
    title: 'the connection is reset forever: 503 UPSTREAM_UNAVAILABLE with Retry-After',
    target: 'kms.revokeGrant',
    fault: { kind: 'reset' },
    status: 503,
    code: 'UPSTREAM_UNAVAILABLE',
    retryAfter: 'positive',
    upstream: { requestId: false },
  }),
  unknownAfterEveryAttempt({
    title: 'the cloud never answers: 504 UPSTREAM_TIMEOUT after every attempt timed out',
    target: 'apig.deleteCertificate',
    fault: { kind: 'hang' },
    status: 504,
    code: 'UPSTREAM_TIMEOUT',
    upstream: { requestId: false },
  }),
  unknownAfterEveryAttempt({
    title: 'the cloud answers after the attempt timeout: 504 UPSTREAM_TIMEOUT',
    target: 'scm.deleteCsr',
    fault: { kind: 'delay', delayMs: ATTEMPT_TIMEOUT_MS * 6 },
    status: 504,
    code: 'UPSTREAM_TIMEOUT',
    upstream: { requestId: false },
  }),
  {
    title: 'the cloud answers with a redirect: 502 UPSTREAM_ERROR, and it is not followed',
    target: 'apig.deleteCertificate',
    faults: [
      {
        kind: 'status',
        status: 307,
        headers: { Location: '/v2/0123456789abcdef0123456789abcdef/apigw/certificates/other' },
      },
    ],
    status: 502,
    code: 'UPSTREAM_ERROR',
    attempts: 1,
    upstream: { status: 307, requestId: true },
  },
];

/** A 2xx answer that contradicts its seed (`message`: what the caller is told of it). */
interface Contradiction {
  readonly title: string;
  readonly target: OperationName;
  readonly fault: Fault;
  readonly message?: string;
}

const CONTRADICTIONS: readonly Contradiction[] = [
  // Any JSON object or nothing is a KMS success (docs/upstream.md "Success"); an array is not.
  {
    title: 'KMS answers 200 with a JSON array',
    target: 'kms.revokeGrant',
    fault: { kind: 'status', status: 200, body: [{ granted: true }] },
  },
  {
    title: 'ModelArts answers 200 {"result":"false"}',
    target: 'modelarts.deleteAuthorization',
    fault: { kind: 'status', status: 200, body: { result: 'false' } },
  },
  {
    title: 'SCM privacy answers 200 {"message":"fail"}',
    target: 'scm.revokePrivacy',
    fault: { kind: 'status', status: 200, body: { message: 'fail' } },
    message: 'fail',
  },
  {
    title: 'KMS answers 200 with an HTML page',
    target: 'kms.revokeGrant',
    fault: { kind: 'html', status: 200 },
    message: '200 OK',
  },
];

/** Each is 502 UPSTREAM_ERROR after one attempt, never a revocation. */
const ALL_ROWS: readonly FaultRow[] = [
  ...ROWS,
  ...CONTRADICTIONS.map((c): FaultRow => ({
    title: `${c.title}: 502 UPSTREAM_ERROR, not a revocation`,
    target: c.target,
    faults: [c.fault],
    status: 502,
    code: 'UPSTREAM_ERROR',
    attempts: 1,
    upstream: {
      status: 200,
      requestId: true,
      ...(c.message === undefined ? {} : { message: c.message }),
    },
  })),
];

function assertUpstream(
  actual: unknown,
  service: string,
  expected: UpstreamExpectation,
): Record<string, unknown> {
  assert.ok(typeof actual === 'object' && actual !== null, 'the problem names the upstream');
  const upstream = actual as Record<string, unknown>;
  assert.deepEqual(
    Object.keys(upstream).filter(
      (key) => !['service', 'status', 'code', 'message', 'requestId'].includes(key),
    ),
    [],
  );
  assert.equal(upstream.service, service);
  assert.equal(upstream.status, expected.status);
  assert.equal(upstream.code, expected.code);
  const message = expected.message;
  if (message === undefined) assert.equal(upstream.message, undefined);
  else if (typeof message === 'string') assert.equal(upstream.message, message);
  else if (message instanceof RegExp) assert.match(String(upstream.message), message);
  else assert.equal(String(upstream.message).length, message.length);
  if (expected.requestId) assert.match(String(upstream.requestId), SIM_REQUEST_ID);
  else assert.equal(upstream.requestId, undefined);
  return upstream;
}

/**
 * The outcome's `upstream` holds what the caller was told. A long message may be shortened
 * further in the record (flagged `messageTruncated`, with `messageLength`).
 */
function assertAuditedUpstream(audited: unknown, told: Record<string, unknown>): void {
  assert.ok(typeof audited === 'object' && audited !== null, 'the outcome names the upstream');
  const { message, messageTruncated, messageLength, ...rest } = audited as Record<string, unknown>;
  assert.deepEqual(rest, {
    status: told.status ?? null,
    code: told.code ?? null,
    requestId: told.requestId ?? null,
  });
  if (messageTruncated === true) {
    assert.equal(messageLength, String(told.message).length);
    assert.ok(String(told.message).startsWith(String(message)));
  } else {
    assert.equal(message, told.message ?? null);
  }
}

function assertRetryAfter(answer: Answer, expected: FaultRow['retryAfter']): void {
  const header = answer.headers.get('retry-after');
  if (expected === undefined) {
    assert.equal(header, null, 'no Retry-After where waiting does not help');
  } else if (expected === 'positive') {
    assert.match(header ?? '', /^[1-9]\d*$/);
  } else {
    assert.equal(header, String(expected));
  }
}

/** A gateway whose caller has revoked once per token scope: the tests start with warm tokens. */
interface WarmGateway extends TestGateway {
  /** alice's `secops` JWT, the caller of every test. */
  readonly caller: string;
}

async function startWarmGateway(upstream: Record<string, unknown>): Promise<WarmGateway> {
  const gw = await startGateway({ config: { upstream } });
  try {
    const caller = await gw.token('alice', ['secops']);
    for (const kind of FIXTURE_OPERATIONS) {
      const answer = await call(gw, createTarget(gw.sim, kind).path, { token: caller });
      assert.equal(answer.status, 200, answer.text);
    }
    return { ...gw, caller };
  } catch (error) {
    await gw.close();
    throw error;
  }
}

/** A warm gateway for one group of tests; the simulator's faults and calls cleared before each. */
function warmGatewayOfGroup(upstream: Record<string, unknown>): WarmGateway {
  const gw = suiteScoped(() => startWarmGateway(upstream));
  beforeEach(() => {
    gw.sim.clearFaults();
    gw.sim.clearCalls();
  });
  return gw;
}

/** Injects `faults` into the target's service, then the caller asks the gateway to revoke it. */
async function callThrough(
  gw: WarmGateway,
  target: Target,
  faults: readonly Fault[],
): Promise<Answer> {
  for (const fault of faults) gw.sim.injectFault({ ...fault, service: target.service });
  return call(gw, target.path, { token: gw.caller });
}

/** The caller asks the gateway to revoke a fresh target of `operation`. */
function revokeFresh(gw: WarmGateway, operation: OperationName): Promise<Answer> {
  return callThrough(gw, createTarget(gw.sim, operation), []);
}

/**
 * A new caller's revocation of a fresh target, answered 503 UPSTREAM_UNAVAILABLE naming
 * `service` and nothing internal.
 */
async function unavailable(
  gw: TestGateway,
  operation: OperationName,
  service: string,
  retryAfter: FaultRow['retryAfter'],
): Promise<{ answer: Answer; target: Target }> {
  const caller = await gw.token();
  const target = createTarget(gw.sim, operation);
  const answer = await call(gw, target.path, { token: caller });
  assertProblem(answer, 503, 'UPSTREAM_UNAVAILABLE');
  assert.deepEqual(answer.body.upstream, { service });
  assertRetryAfter(answer, retryAfter);
  assertNothingInternal(gw, answer.text, [caller]);
  return { answer, target };
}

/** The outcome holds these values (undefined: the field is absent). */
function expectFields(
  outcome: Record<string, unknown>,
  expected: Readonly<Record<string, unknown>>,
): void {
  for (const [field, value] of Object.entries(expected)) {
    assert.equal(outcome[field], value, `outcome.${field}`);
  }
}

/** The request's one audited outcome holds these values (undefined: the field is absent). */
async function assertOutcome(
  gw: TestGateway,
  requestId: string,
  expected: Readonly<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
  const outcome = await auditOutcomeOf(gw, requestId);
  expectFields(outcome, expected);
  return outcome;
}

// The four groups use gateways of their own, so they run side by side; the tests inside each
// group share a gateway and run in order (concurrency 1, which subtests would otherwise inherit).
describe('the cloud failing', { concurrency: true }, () => {
  describe(
    'upstream faults through the whole gateway (docs/api.md "Errors")',
    { concurrency: 1 },
    () => {
      const gw = warmGatewayOfGroup(FAST_UPSTREAM);
      afterEach(() => {
        gw.sim.clearFaults();
      });

      for (const row of ALL_ROWS) {
        it(row.title, async () => {
          const target = createTarget(gw.sim, row.target, row.targetOptions);

          const answer = await callThrough(gw, target, row.faults);

          assertProblem(answer, row.status, row.code);
          assert.equal(answer.body.instance, target.path);
          const upstream = assertUpstream(answer.body.upstream, target.service, row.upstream);
          assertRetryAfter(answer, row.retryAfter);
          assertNothingInternal(gw, answer.text, [gw.caller]);

          assert.equal(gw.sim.calls({ service: target.service }).length, row.attempts);
          assert.equal(gw.sim.calls({ service: 'iam' }).length, row.iamCalls ?? 0);

          const record = await auditOutcomeRecordOf(gw, answer.requestId);
          assert.equal(answer.body.auditId, record.id, 'auditId names the outcome record');
          expectFields(record.outcome, {
            result: 'failed',
            status: row.status,
            code: row.code,
            attempts: row.attempts,
            reason: row.reason,
          });
          assertAuditedUpstream(record.outcome.upstream, upstream);
        });
      }

      it('never passes on its own IAM token when the cloud quotes it back, whole or in part', async () => {
        const warm = await revokeFresh(gw, 'kms.revokeGrant');
        assert.equal(warm.status, 200, warm.text);
        const iamToken = gw.sim.calls({ service: 'kms' })[0]?.token ?? '';
        assert.ok(iamToken.length > 1024, 'a real-sized token, longer than a message may be');
        const quotes = [
          { quoted: iamToken, message: 'Invalid X-Auth-Token: [REDACTED]' },
          { quoted: iamToken.slice(5000, 5040), message: 'token [REDACTED] is not valid here' },
        ];
        const parts = [iamToken.slice(0, 32), iamToken.slice(500, 532), iamToken.slice(5004, 5036)];

        for (const [index, quote] of quotes.entries()) {
          const message =
            index === 0
              ? `Invalid X-Auth-Token: ${quote.quoted}`
              : `token ${quote.quoted} is not valid here`;
          const answer = await callThrough(gw, createTarget(gw.sim, 'kms.revokeGrant'), [
            {
              kind: 'status',
              status: 400,
              body: {
                error: { error_code: 'KMS.0201', error_msg: message },
                encoded_authorization_message: iamToken.slice(100, 400),
              },
            },
          ]);
          assertProblem(answer, 400, 'UPSTREAM_REJECTED');
          const upstream = answer.body.upstream as Record<string, unknown>;
          assert.equal(upstream.message, quote.message);
          const outcome = await auditOutcomeOf(gw, answer.requestId);
          assert.equal((outcome.upstream as Record<string, unknown>).message, quote.message);
          for (const part of parts) {
            assert.ok(!answer.text.includes(part), 'no part of the token in the answer');
            assert.ok(!JSON.stringify(outcome).includes(part), 'no part of the token audited');
            assert.ok(!gw.logs().includes(part), 'no part of the token logged');
          }
        }
      });

      it('serves the next request normally after cutting off a 10 MB error page', async () => {
        const failed = await callThrough(gw, createTarget(gw.sim, 'apig.deleteCertificate'), [
          { kind: 'oversized', status: 500, sizeBytes: 10 << 20 },
        ]);
        assertProblem(failed, 502, 'UPSTREAM_ERROR');
        assert.ok(failed.text.length < 2048, 'none of the page reaches the caller');

        const next = createTarget(gw.sim, 'apig.deleteCertificate');
        const answer = await callThrough(gw, next, []);
        assert.equal(answer.status, 200, answer.text);
        assert.equal(answer.body.result, 'revoked');
        assert.equal(next.exists(), false);
      });

      it('retries past one 10 MB 502 page within the same request', async () => {
        const target = createTarget(gw.sim, 'apig.deleteCertificate');
        const answer = await callThrough(gw, target, [
          { kind: 'oversized', status: 502, sizeBytes: 10 << 20 },
        ]);
        assert.equal(answer.status, 200, answer.text);
        assert.deepEqual(
          gw.sim.calls({ service: 'apig' }).map((recorded) => recorded.status),
          [502, 204],
        );
        assert.equal(target.exists(), false);
      });
    },
  );

  describe('retry rules through the whole gateway', { concurrency: 1 }, () => {
    const gw = warmGatewayOfGroup(FAST_UPSTREAM);

    /** Revokes a fresh target of `kind` through `faults`: 200 revoked, the resource gone. */
    async function revokedAfter(
      faults: readonly Fault[],
      expected: { readonly attempts: number; readonly reason: string | undefined },
      kind: OperationName = 'kms.revokeGrant',
    ) {
      const target = createTarget(gw.sim, kind);
      const answer = await callThrough(gw, target, faults);
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body.result, 'revoked');
      assert.equal(target.exists(), false, 'the cloud no longer holds the resource');
      const outcome = await assertOutcome(gw, answer.requestId, {
        result: 'revoked',
        status: 200,
        code: null,
        ...expected,
      });
      return { answer, outcome, calls: gw.sim.calls({ service: target.service }) };
    }

    it('retries once after one connection reset and answers 200 revoked (attempts 2)', async () => {
      const { calls } = await revokedAfter([{ kind: 'reset' }], { attempts: 2, reason: undefined });
      assert.equal(calls.length, 2);
      assert.deepEqual(
        calls.map((recorded) => recorded.fault),
        ['reset', undefined],
      );
    });

    it('retries once after one 503 and answers 200 revoked (attempts 2)', async () => {
      const { calls } = await revokedAfter(
        [{ kind: 'status', status: 503, body: { error_code: 'APIG.0503', error_msg: 'Busy.' } }],
        { attempts: 2, reason: undefined },
        'apig.deleteCertificate',
      );
      assert.deepEqual(
        calls.map((recorded) => recorded.status),
        [503, 204],
      );
    });

    it('reports success when a retry after a timed-out attempt that took effect answers 404', async () => {
      // The first call is applied by the cloud but never answered; the retry finds it gone.
      const { answer, outcome, calls } = await revokedAfter([{ kind: 'hang', takesEffect: true }], {
        attempts: 2,
        reason: 'not-found-after-unknown-attempt',
      });
      assert.deepEqual(
        calls.map((recorded) => recorded.fault),
        ['hang', undefined],
      );
      assert.equal(calls[1]?.status, 404);
      assert.equal((outcome.upstream as Record<string, unknown>).status, 404);
      assert.equal((answer.body.upstream as Record<string, unknown>).service, 'kms');
    });

    it('gives up after retries+1 resets and audits the unknown outcome when one took effect', async () => {
      const target = createTarget(gw.sim, 'kms.revokeGrant');
      const answer = await callThrough(gw, target, [
        { kind: 'reset', takesEffect: true, count: FOREVER },
      ]);
      assertProblem(answer, 503, 'UPSTREAM_UNAVAILABLE');
      assert.match(answer.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
      assert.equal(gw.sim.calls({ service: 'kms' }).length, RETRIES + 1);
      // The cloud did revoke it; the gateway could not know, and says so in the audit trail.
      assert.equal(target.exists(), false);
      await assertOutcome(gw, answer.requestId, {
        result: 'failed',
        code: 'UPSTREAM_UNAVAILABLE',
        attempts: RETRIES + 1,
        reason: 'outcome-unknown',
      });
    });

    it('reports success when the retry after a 502 that took effect answers 404', async () => {
      const { calls } = await revokedAfter([{ kind: 'status', status: 502, takesEffect: true }], {
        attempts: 2,
        reason: 'not-found-after-unknown-attempt',
      });
      assert.deepEqual(
        calls.map((recorded) => recorded.status),
        [502, 404],
      );
    });

    it('does not count "the API does not exist" (404 APIGW.0101) as the earlier attempt having worked', async () => {
      // That 404 comes from the API gateway in front of the service: the route is wrong, so it
      // says nothing about the resource.
      const routeMissing = { error_code: 'APIGW.0101', error_msg: 'The API does not exist.' };
      const answer = await callThrough(gw, createTarget(gw.sim, 'apig.deleteCertificate'), [
        { kind: 'hang' },
        { kind: 'status', status: 404, body: routeMissing },
      ]);
      assertProblem(answer, 404, 'NOT_FOUND');
      assert.equal(gw.sim.calls({ service: 'apig' }).length, 2);
      await assertOutcome(gw, answer.requestId, {
        result: 'failed',
        code: 'NOT_FOUND',
        attempts: 2,
        reason: 'outcome-unknown',
      });
    });

    it('answers 404 NOT_FOUND when the retry after a 503 refusal finds nothing', async () => {
      // A 503 is a refusal to start, so a later 404 proves nothing about an earlier attempt.
      const target = createTarget(gw.sim, 'kms.revokeGrant', { exists: false });
      const answer = await callThrough(gw, target, [{ kind: 'status', status: 503 }]);
      assertProblem(answer, 404, 'NOT_FOUND');
      assert.equal(gw.sim.calls({ service: 'kms' }).length, 2);
      await assertOutcome(gw, answer.requestId, {
        result: 'failed',
        attempts: 2,
        reason: undefined,
      });
    });
  });

  describe('unreachable endpoints', { concurrency: 1 }, () => {
    const gateways: TestGateway[] = [];
    after(async () => {
      for (const gw of gateways) await gw.close();
    });

    /** A gateway whose endpoint in `variable` is a loopback port that refuses connections. */
    async function refusingAt(variable: string): Promise<{ gw: TestGateway; port: string }> {
      const port = String(await closedPort());
      const gw = await startGateway({
        config: { upstream: FAST_UPSTREAM },
        env: { [variable]: `http://127.0.0.1:${port}` },
      });
      gateways.push(gw);
      return { gw, port };
    }

    it('answers 503 UPSTREAM_UNAVAILABLE with Retry-After when the service refuses connections', async () => {
      const { gw, port } = await refusingAt('RESCIND_KMS_ENDPOINT');

      const { answer, target } = await unavailable(gw, 'kms.revokeGrant', 'kms', 'positive');

      assert.ok(!answer.text.includes(port), 'the refused endpoint is not named');
      assert.equal(gw.sim.calls({ service: 'kms' }).length, 0);
      assert.equal(target.exists(), true);
      // Refused means never received: retried, and the outcome is known (nothing happened).
      await assertOutcome(gw, answer.requestId, {
        result: 'failed',
        status: 503,
        code: 'UPSTREAM_UNAVAILABLE',
        attempts: RETRIES + 1,
        reason: undefined,
      });
    });

    it('answers 503 UPSTREAM_UNAVAILABLE with Retry-After and calls no service when IAM is unreachable', async () => {
      const { gw, port } = await refusingAt('RESCIND_IAM_ENDPOINT');

      const { answer } = await unavailable(
        gw,
        'apig.deleteCertificate',
        'iam',
        IAM_RETRY_AFTER_SECONDS,
      );

      assert.ok(!answer.text.includes(port), 'the IAM endpoint is not named');
      assert.equal(gw.sim.calls().length, 0);
      await assertOutcome(gw, answer.requestId, {
        result: 'failed',
        code: 'UPSTREAM_UNAVAILABLE',
        attempts: 0,
      });
    });
  });

  describe('IAM that never answers', { concurrency: 1 }, () => {
    const gw = suiteScoped(() =>
      startGateway({
        config: { upstream: FAST_UPSTREAM, cloud: { iam: { exchangeTimeoutMs: 300 } } },
      }),
    );

    it('answers 503 UPSTREAM_UNAVAILABLE with Retry-After and calls no service', async () => {
      gw.sim.injectFault({ service: 'iam', kind: 'hang', count: FOREVER });

      const { answer, target } = await unavailable(
        gw,
        'modelarts.deleteAuthorization',
        'iam',
        IAM_RETRY_AFTER_SECONDS,
      );

      assert.equal(gw.sim.calls({ service: 'iam' }).length, 1);
      assert.equal(gw.sim.calls({ service: 'modelarts' }).length, 0);
      assert.equal(target.exists(), true);
      await assertOutcome(gw, answer.requestId, {
        result: 'failed',
        code: 'UPSTREAM_UNAVAILABLE',
        attempts: 0,
      });
    });
  });

  describe('the circuit breaker', { concurrency: 1 }, () => {
    const THRESHOLD = 3;
    const gw = warmGatewayOfGroup({
      ...FAST_UPSTREAM,
      // One attempt per request, so THRESHOLD failing requests are THRESHOLD failures.
      retries: 0,
      circuitBreaker: { failureThreshold: THRESHOLD, openSeconds: 1 },
    });

    async function openApigCircuit(): Promise<Answer> {
      gw.sim.injectFault({ service: 'apig', kind: 'status', status: 503, count: FOREVER });
      for (let i = 0; i < THRESHOLD; i += 1) {
        const failing = await revokeFresh(gw, 'apig.deleteCertificate');
        assertProblem(failing, 502, 'UPSTREAM_ERROR');
      }
      assert.equal(gw.sim.calls({ service: 'apig' }).length, THRESHOLD);
      const refused = await revokeFresh(gw, 'apig.deleteCertificate');
      assertProblem(refused, 503, 'UPSTREAM_UNAVAILABLE');
      assert.equal(gw.sim.calls({ service: 'apig' }).length, THRESHOLD, 'no call while open');
      return refused;
    }

    async function circuitGauge(service: string): Promise<string | undefined> {
      const text = await (await fetch(`${gw.url}/metrics`)).text();
      const line = text
        .split('\n')
        .find((entry) => entry.startsWith(`rescind_upstream_circuit_open{service="${service}"}`));
      return line?.split(' ').at(-1);
    }

    it('opens after the threshold, refuses without calling, then closes after a good probe', async () => {
      const refused = await openApigCircuit();
      assert.deepEqual(refused.body.upstream, { service: 'apig' });
      const retryAfter = Number(refused.headers.get('retry-after'));
      // openSeconds is 1: the breaker names the whole second left until its probe.
      assert.equal(retryAfter, 1);
      await assertOutcome(gw, refused.requestId, {
        result: 'failed',
        status: 503,
        code: 'UPSTREAM_UNAVAILABLE',
        attempts: 0,
      });
      assert.equal(await circuitGauge('apig'), '1');

      // One service's circuit leaves the others alone.
      const kms = await revokeFresh(gw, 'kms.revokeGrant');
      assert.equal(kms.status, 200, kms.text);

      gw.sim.clearFaults();
      // The breaker's own clock: nothing to await but the seconds it named.
      await wait(retryAfter * 1000);
      const probe = createTarget(gw.sim, 'apig.deleteCertificate');
      const probed = await callThrough(gw, probe, []);
      assert.equal(probed.status, 200, probed.text);
      assert.equal(probe.exists(), false);
      assert.equal(gw.sim.calls({ service: 'apig' }).length, THRESHOLD + 1);
      assert.equal(await circuitGauge('apig'), '0');

      const closed = await revokeFresh(gw, 'apig.deleteCertificate');
      assert.equal(closed.status, 200, closed.text);
      assert.equal(gw.sim.calls({ service: 'apig' }).length, THRESHOLD + 2);
    });

    it('opens again when the probe fails', async () => {
      const refused = await openApigCircuit();
      await wait(Number(refused.headers.get('retry-after')) * 1000);

      const probe = await revokeFresh(gw, 'apig.deleteCertificate');
      assertProblem(probe, 502, 'UPSTREAM_ERROR');
      assert.equal(gw.sim.calls({ service: 'apig' }).length, THRESHOLD + 1);

      const again = await revokeFresh(gw, 'apig.deleteCertificate');
      assertProblem(again, 503, 'UPSTREAM_UNAVAILABLE');
      assert.match(again.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
      assert.equal(gw.sim.calls({ service: 'apig' }).length, THRESHOLD + 1);
    });
  });
});
