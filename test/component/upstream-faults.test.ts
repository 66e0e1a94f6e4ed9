// Every row of docs/api.md "Errors" that comes from the cloud, produced by the simulator's fault
// injection and observed through the whole gateway — what the caller sees, what the cloud
// received, and what the audit trail says. Then the retry rules, the circuit breaker and the
// 2xx answers that contradict their seed. (The simulator applies a `delay` after its wait whatever
// `takesEffect` says, so "a timed-out attempt that took effect" is modelled with `hang`.)

import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as wait } from 'node:timers/promises';
import type { FaultSpec } from '../../src/simulator/index.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
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
  {
    title: 'the cloud answers 502 forever: 502 UPSTREAM_ERROR after every retry, outcome unknown',
    target: 'kms.revokeGrant',
    faults: [
      {
        kind: 'status',
        status: 502,
        count: FOREVER,
        body: { error: { error_code: 'KMS.0101', error_msg: 'Bad gateway.' } },
      },
    ],
    status: 502,
    code: 'UPSTREAM_ERROR',
    attempts: RETRIES + 1,
    reason: 'outcome-unknown',
    upstream: { status: 502, code: 'KMS.0101', message: 'Bad gateway.', requestId: true },
  },
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
  {
    title: 'the cloud answers 504 forever: 502 UPSTREAM_ERROR after every retry, outcome unknown',
    target: 'modelarts.deleteAuthorization',
    faults: [{ kind: 'status', status: 504, count: FOREVER }],
    status: 502,
    code: 'UPSTREAM_ERROR',
    attempts: RETRIES + 1,
    reason: 'outcome-unknown',
    upstream: { status: 504, requestId: true },
  },
  {
    title: 'a load balancer’s HTML page: 502 UPSTREAM_ERROR with at most the page’s status title',
    target: 'apig.deleteCertificate',
    faults: [{ kind: 'html', count: FOREVER }],
    status: 502,
    code: 'UPSTREAM_ERROR',
    attempts: RETRIES + 1,
    reason: 'outcome-unknown',
    upstream: { status: 502, message: '502 Bad Gateway', requestId: true },
  },
  {
    title: 'an empty error body: 502 UPSTREAM_ERROR',
    target: 'scm.revokePrivacy',
    faults: [{ kind: 'empty', count: FOREVER }],
    status: 502,
    code: 'UPSTREAM_ERROR',
    attempts: RETRIES + 1,
    reason: 'outcome-unknown',
    upstream: { status: 502, requestId: true },
  },
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
  {
    title: 'the connection is reset forever: 503 UPSTREAM_UNAVAILABLE with Retry-After',
    target: 'kms.revokeGrant',
    faults: [{ kind: 'reset', count: FOREVER }],
    status: 503,
    code: 'UPSTREAM_UNAVAILABLE',
    attempts: RETRIES + 1,
    retryAfter: 'positive',
    reason: 'outcome-unknown',
    upstream: { requestId: false },
  },
  {
    title: 'the cloud never answers: 504 UPSTREAM_TIMEOUT after every attempt timed out',
    target: 'apig.deleteCertificate',
    faults: [{ kind: 'hang', count: FOREVER }],
    status: 504,
    code: 'UPSTREAM_TIMEOUT',
    attempts: RETRIES + 1,
    reason: 'outcome-unknown',
    upstream: { requestId: false },
  },
  {
    title: 'the cloud answers after the attempt timeout: 504 UPSTREAM_TIMEOUT',
    target: 'scm.deleteCsr',
    faults: [{ kind: 'delay', delayMs: ATTEMPT_TIMEOUT_MS * 6, count: FOREVER }],
    status: 504,
    code: 'UPSTREAM_TIMEOUT',
    attempts: RETRIES + 1,
    reason: 'outcome-unknown',
    upstream: { requestId: false },
  },
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
  {
    // Any JSON object or nothing is a KMS success (docs/upstream.md "Success"); an array is not.
    title: 'KMS answers 200 with a JSON array: 502 UPSTREAM_ERROR, not a revocation',
    target: 'kms.revokeGrant',
    faults: [{ kind: 'status', status: 200, body: [{ granted: true }] }],
    status: 502,
    code: 'UPSTREAM_ERROR',
    attempts: 1,
    upstream: { status: 200, requestId: true },
  },
  {
    title: 'ModelArts answers 200 {"result":"false"}: 502 UPSTREAM_ERROR, not a revocation',
    target: 'modelarts.deleteAuthorization',
    faults: [{ kind: 'status', status: 200, body: { result: 'false' } }],
    status: 502,
    code: 'UPSTREAM_ERROR',
    attempts: 1,
    upstream: { status: 200, requestId: true },
  },
  {
    title: 'SCM privacy answers 200 {"message":"fail"}: 502 UPSTREAM_ERROR, not a revocation',
    target: 'scm.revokePrivacy',
    faults: [{ kind: 'status', status: 200, body: { message: 'fail' } }],
    status: 502,
    code: 'UPSTREAM_ERROR',
    attempts: 1,
    upstream: { status: 200, message: 'fail', requestId: true },
  },
  {
    title: 'KMS answers 200 with an HTML page: 502 UPSTREAM_ERROR, not a revocation',
    target: 'kms.revokeGrant',
    faults: [{ kind: 'html', status: 200 }],
    status: 502,
    code: 'UPSTREAM_ERROR',
    attempts: 1,
    upstream: { status: 200, message: '200 OK', requestId: true },
  },
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

/** One successful revocation per token scope, so the table's rows start with warm tokens. */
async function warmTokens(gw: TestGateway, caller: string): Promise<void> {
  for (const kind of FIXTURE_OPERATIONS) {
    const answer = await call(gw, createTarget(gw.sim, kind).path, { token: caller });
    assert.equal(answer.status, 200, answer.text);
  }
}

// The four groups use gateways of their own, so they run side by side; the tests inside each
// group share a gateway and run in order (concurrency 1, which subtests would otherwise inherit).
describe('the cloud failing', { concurrency: true }, () => {
  describe(
    'upstream faults through the whole gateway (docs/api.md "Errors")',
    { concurrency: 1 },
    () => {
      let gw: TestGateway;
      let caller: string;

      before(async () => {
        gw = await startGateway({ config: { upstream: FAST_UPSTREAM } });
        caller = await gw.token('alice', ['secops']);
        await warmTokens(gw, caller);
      });
      after(async () => {
        await gw.close();
      });
      beforeEach(() => {
        gw.sim.clearFaults();
        gw.sim.clearCalls();
      });
      afterEach(() => {
        gw.sim.clearFaults();
      });

      for (const row of ROWS) {
        it(row.title, async () => {
          const target = createTarget(gw.sim, row.target, row.targetOptions);
          for (const fault of row.faults) {
            gw.sim.injectFault({ ...fault, service: target.service });
          }

          const answer = await call(gw, target.path, { token: caller });

          assertProblem(answer, row.status, row.code);
          assert.equal(answer.body.instance, target.path);
          const upstream = assertUpstream(answer.body.upstream, target.service, row.upstream);
          assertRetryAfter(answer, row.retryAfter);
          assertNothingInternal(gw, answer.text, [caller]);

          assert.equal(gw.sim.calls({ service: target.service }).length, row.attempts);
          assert.equal(gw.sim.calls({ service: 'iam' }).length, row.iamCalls ?? 0);

          const record = await auditOutcomeRecordOf(gw, answer.requestId);
          assert.equal(answer.body.auditId, record.id, 'auditId names the outcome record');
          const outcome = record.outcome;
          assert.equal(outcome.result, 'failed');
          assert.equal(outcome.status, row.status);
          assert.equal(outcome.code, row.code);
          assert.equal(outcome.attempts, row.attempts);
          assert.equal(outcome.reason, row.reason);
          assertAuditedUpstream(outcome.upstream, upstream);
        });
      }

      it('never passes on its own IAM token when the cloud quotes it back, whole or in part', async () => {
        const warm = await call(gw, createTarget(gw.sim, 'kms.revokeGrant').path, {
          token: caller,
        });
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
          gw.sim.injectFault({
            service: 'kms',
            kind: 'status',
            status: 400,
            body: {
              error: { error_code: 'KMS.0201', error_msg: message },
              encoded_authorization_message: iamToken.slice(100, 400),
            },
          });
          const answer = await call(gw, createTarget(gw.sim, 'kms.revokeGrant').path, {
            token: caller,
          });
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
        gw.sim.injectFault({
          service: 'apig',
          kind: 'oversized',
          status: 500,
          sizeBytes: 10 << 20,
        });
        const failed = await call(gw, createTarget(gw.sim, 'apig.deleteCertificate').path, {
          token: caller,
        });
        assertProblem(failed, 502, 'UPSTREAM_ERROR');
        assert.ok(failed.text.length < 2048, 'none of the page reaches the caller');

        const next = createTarget(gw.sim, 'apig.deleteCertificate');
        const answer = await call(gw, next.path, { token: caller });
        assert.equal(answer.status, 200, answer.text);
        assert.equal(answer.body.result, 'revoked');
        assert.equal(next.exists(), false);
      });

      it('retries past one 10 MB 502 page within the same request', async () => {
        gw.sim.injectFault({
          service: 'apig',
          kind: 'oversized',
          status: 502,
          sizeBytes: 10 << 20,
        });
        const target = createTarget(gw.sim, 'apig.deleteCertificate');
        const answer = await call(gw, target.path, { token: caller });
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
    let gw: TestGateway;
    let caller: string;

    before(async () => {
      gw = await startGateway({ config: { upstream: FAST_UPSTREAM } });
      caller = await gw.token('alice', ['secops']);
      await warmTokens(gw, caller);
    });
    after(async () => {
      await gw.close();
    });
    beforeEach(() => {
      gw.sim.clearFaults();
      gw.sim.clearCalls();
    });

    async function revokedAfter(faults: readonly Fault[], kind: OperationName = 'kms.revokeGrant') {
      const target = createTarget(gw.sim, kind);
      for (const fault of faults) gw.sim.injectFault({ ...fault, service: target.service });
      const answer = await call(gw, target.path, { token: caller });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body.result, 'revoked');
      assert.equal(target.exists(), false, 'the cloud no longer holds the resource');
      const outcome = await auditOutcomeOf(gw, answer.requestId);
      assert.equal(outcome.result, 'revoked');
      assert.equal(outcome.status, 200);
      assert.equal(outcome.code, null);
      return { answer, outcome, calls: gw.sim.calls({ service: target.service }) };
    }

    it('retries once after one connection reset and answers 200 revoked (attempts 2)', async () => {
      const { outcome, calls } = await revokedAfter([{ kind: 'reset' }]);
      assert.equal(calls.length, 2);
      assert.deepEqual(
        calls.map((recorded) => recorded.fault),
        ['reset', undefined],
      );
      assert.equal(outcome.attempts, 2);
      assert.equal(outcome.reason, undefined);
    });

    it('retries once after one 503 and answers 200 revoked (attempts 2)', async () => {
      const { outcome, calls } = await revokedAfter(
        [{ kind: 'status', status: 503, body: { error_code: 'APIG.0503', error_msg: 'Busy.' } }],
        'apig.deleteCertificate',
      );
      assert.deepEqual(
        calls.map((recorded) => recorded.status),
        [503, 204],
      );
      assert.equal(outcome.attempts, 2);
      assert.equal(outcome.reason, undefined);
    });

    it('reports success when a retry after a timed-out attempt that took effect answers 404', async () => {
      // The first call is applied by the cloud but never answered; the retry finds it gone.
      const { answer, outcome, calls } = await revokedAfter([{ kind: 'hang', takesEffect: true }]);
      assert.deepEqual(
        calls.map((recorded) => recorded.fault),
        ['hang', undefined],
      );
      assert.equal(calls[1]?.status, 404);
      assert.equal(outcome.attempts, 2);
      assert.equal(outcome.reason, 'not-found-after-unknown-attempt');
      assert.equal((outcome.upstream as Record<string, unknown>).status, 404);
      assert.equal((answer.body.upstream as Record<string, unknown>).service, 'kms');
    });

    it('gives up after retries+1 resets and audits the unknown outcome when one took effect', async () => {
      const target = createTarget(gw.sim, 'kms.revokeGrant');
      gw.sim.injectFault({ service: 'kms', kind: 'reset', takesEffect: true, count: FOREVER });
      const answer = await call(gw, target.path, { token: caller });
      assertProblem(answer, 503, 'UPSTREAM_UNAVAILABLE');
      assert.match(answer.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
      assert.equal(gw.sim.calls({ service: 'kms' }).length, RETRIES + 1);
      // The cloud did revoke it; the gateway could not know, and says so in the audit trail.
      assert.equal(target.exists(), false);
      const outcome = await auditOutcomeOf(gw, answer.requestId);
      assert.equal(outcome.result, 'failed');
      assert.equal(outcome.code, 'UPSTREAM_UNAVAILABLE');
      assert.equal(outcome.attempts, RETRIES + 1);
      assert.equal(outcome.reason, 'outcome-unknown');
    });

    it('reports success when the retry after a 502 that took effect answers 404', async () => {
      const { outcome, calls } = await revokedAfter([
        { kind: 'status', status: 502, takesEffect: true },
      ]);
      assert.deepEqual(
        calls.map((recorded) => recorded.status),
        [502, 404],
      );
      assert.equal(outcome.attempts, 2);
      assert.equal(outcome.reason, 'not-found-after-unknown-attempt');
    });

    it('does not count "the API does not exist" (404 APIGW.0101) as the earlier attempt having worked', async () => {
      // That 404 comes from the API gateway in front of the service: the route is wrong, so it
      // says nothing about the resource.
      const target = createTarget(gw.sim, 'apig.deleteCertificate');
      gw.sim.injectFault({ service: 'apig', kind: 'hang' });
      gw.sim.injectFault({
        service: 'apig',
        kind: 'status',
        status: 404,
        body: { error_code: 'APIGW.0101', error_msg: 'The API does not exist.' },
      });
      const answer = await call(gw, target.path, { token: caller });
      assertProblem(answer, 404, 'NOT_FOUND');
      assert.equal(gw.sim.calls({ service: 'apig' }).length, 2);
      const outcome = await auditOutcomeOf(gw, answer.requestId);
      assert.equal(outcome.result, 'failed');
      assert.equal(outcome.code, 'NOT_FOUND');
      assert.equal(outcome.attempts, 2);
      assert.equal(outcome.reason, 'outcome-unknown');
    });

    it('answers 404 NOT_FOUND when the retry after a 503 refusal finds nothing', async () => {
      // A 503 is a refusal to start, so a later 404 proves nothing about an earlier attempt.
      const target = createTarget(gw.sim, 'kms.revokeGrant', { exists: false });
      gw.sim.injectFault({ service: 'kms', kind: 'status', status: 503 });
      const answer = await call(gw, target.path, { token: caller });
      assertProblem(answer, 404, 'NOT_FOUND');
      assert.equal(gw.sim.calls({ service: 'kms' }).length, 2);
      const outcome = await auditOutcomeOf(gw, answer.requestId);
      assert.equal(outcome.result, 'failed');
      assert.equal(outcome.attempts, 2);
      assert.equal(outcome.reason, undefined);
    });
  });

  describe('unreachable endpoints', { concurrency: 1 }, () => {
    const gateways: TestGateway[] = [];
    after(async () => {
      for (const gw of gateways) await gw.close();
    });

    it('answers 503 UPSTREAM_UNAVAILABLE with Retry-After when the service refuses connections', async () => {
      const port = await closedPort();
      const gw = await startGateway({
        config: { upstream: FAST_UPSTREAM },
        env: { RESCIND_KMS_ENDPOINT: `http://127.0.0.1:${String(port)}` },
      });
      gateways.push(gw);
      const caller = await gw.token();
      const target = createTarget(gw.sim, 'kms.revokeGrant');

      const answer = await call(gw, target.path, { token: caller });

      assertProblem(answer, 503, 'UPSTREAM_UNAVAILABLE');
      assert.deepEqual(answer.body.upstream, { service: 'kms' });
      assert.match(answer.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
      assertNothingInternal(gw, answer.text, [caller]);
      assert.ok(!answer.text.includes(String(port)), 'the refused endpoint is not named');
      assert.equal(gw.sim.calls({ service: 'kms' }).length, 0);
      assert.equal(target.exists(), true);
      const outcome = await auditOutcomeOf(gw, answer.requestId);
      assert.equal(outcome.result, 'failed');
      assert.equal(outcome.status, 503);
      assert.equal(outcome.code, 'UPSTREAM_UNAVAILABLE');
      // Refused means never received: retried, and the outcome is known (nothing happened).
      assert.equal(outcome.attempts, RETRIES + 1);
      assert.equal(outcome.reason, undefined);
    });

    it('answers 503 UPSTREAM_UNAVAILABLE with Retry-After and calls no service when IAM is unreachable', async () => {
      const port = await closedPort();
      const gw = await startGateway({
        config: { upstream: FAST_UPSTREAM },
        env: { RESCIND_IAM_ENDPOINT: `http://127.0.0.1:${String(port)}` },
      });
      gateways.push(gw);
      const caller = await gw.token();
      const target = createTarget(gw.sim, 'apig.deleteCertificate');

      const answer = await call(gw, target.path, { token: caller });

      assertProblem(answer, 503, 'UPSTREAM_UNAVAILABLE');
      assert.deepEqual(answer.body.upstream, { service: 'iam' });
      assert.equal(answer.headers.get('retry-after'), String(IAM_RETRY_AFTER_SECONDS));
      assertNothingInternal(gw, answer.text, [caller]);
      assert.ok(!answer.text.includes(String(port)), 'the IAM endpoint is not named');
      assert.equal(gw.sim.calls().length, 0);
      const outcome = await auditOutcomeOf(gw, answer.requestId);
      assert.equal(outcome.result, 'failed');
      assert.equal(outcome.code, 'UPSTREAM_UNAVAILABLE');
      assert.equal(outcome.attempts, 0);
    });
  });

  describe('IAM that never answers', { concurrency: 1 }, () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startGateway({
        config: { upstream: FAST_UPSTREAM, cloud: { iam: { exchangeTimeoutMs: 300 } } },
      });
    });
    after(async () => {
      await gw.close();
    });

    it('answers 503 UPSTREAM_UNAVAILABLE with Retry-After and calls no service', async () => {
      gw.sim.injectFault({ service: 'iam', kind: 'hang', count: FOREVER });
      const caller = await gw.token();
      const target = createTarget(gw.sim, 'modelarts.deleteAuthorization');

      const answer = await call(gw, target.path, { token: caller });

      assertProblem(answer, 503, 'UPSTREAM_UNAVAILABLE');
      assert.deepEqual(answer.body.upstream, { service: 'iam' });
      assert.equal(answer.headers.get('retry-after'), String(IAM_RETRY_AFTER_SECONDS));
      assertNothingInternal(gw, answer.text, [caller]);
      assert.equal(gw.sim.calls({ service: 'iam' }).length, 1);
      assert.equal(gw.sim.calls({ service: 'modelarts' }).length, 0);
      assert.equal(target.exists(), true);
      const outcome = await auditOutcomeOf(gw, answer.requestId);
      assert.equal(outcome.result, 'failed');
      assert.equal(outcome.code, 'UPSTREAM_UNAVAILABLE');
      assert.equal(outcome.attempts, 0);
    });
  });

  describe('the circuit breaker', { concurrency: 1 }, () => {
    const THRESHOLD = 3;
    let gw: TestGateway;
    let caller: string;

    before(async () => {
      gw = await startGateway({
        config: {
          upstream: {
            ...FAST_UPSTREAM,
            // One attempt per request, so THRESHOLD failing requests are THRESHOLD failures.
            retries: 0,
            circuitBreaker: { failureThreshold: THRESHOLD, openSeconds: 1 },
          },
        },
      });
      caller = await gw.token();
      await warmTokens(gw, caller);
    });
    after(async () => {
      await gw.close();
    });
    beforeEach(() => {
      gw.sim.clearFaults();
      gw.sim.clearCalls();
    });

    async function openApigCircuit(): Promise<Answer> {
      gw.sim.injectFault({ service: 'apig', kind: 'status', status: 503, count: FOREVER });
      for (let i = 0; i < THRESHOLD; i += 1) {
        const failing = await call(gw, createTarget(gw.sim, 'apig.deleteCertificate').path, {
          token: caller,
        });
        assertProblem(failing, 502, 'UPSTREAM_ERROR');
      }
      assert.equal(gw.sim.calls({ service: 'apig' }).length, THRESHOLD);
      const refused = await call(gw, createTarget(gw.sim, 'apig.deleteCertificate').path, {
        token: caller,
      });
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
      const outcome = await auditOutcomeOf(gw, refused.requestId);
      assert.equal(outcome.result, 'failed');
      assert.equal(outcome.status, 503);
      assert.equal(outcome.code, 'UPSTREAM_UNAVAILABLE');
      assert.equal(outcome.attempts, 0);
      assert.equal(await circuitGauge('apig'), '1');

      // One service's circuit leaves the others alone.
      const kms = await call(gw, createTarget(gw.sim, 'kms.revokeGrant').path, { token: caller });
      assert.equal(kms.status, 200, kms.text);

      gw.sim.clearFaults();
      // The breaker's own clock: nothing to await but the seconds it named.
      await wait(retryAfter * 1000);
      const probe = createTarget(gw.sim, 'apig.deleteCertificate');
      const probed = await call(gw, probe.path, { token: caller });
      assert.equal(probed.status, 200, probed.text);
      assert.equal(probe.exists(), false);
      assert.equal(gw.sim.calls({ service: 'apig' }).length, THRESHOLD + 1);
      assert.equal(await circuitGauge('apig'), '0');

      const closed = await call(gw, createTarget(gw.sim, 'apig.deleteCertificate').path, {
        token: caller,
      });
      assert.equal(closed.status, 200, closed.text);
      assert.equal(gw.sim.calls({ service: 'apig' }).length, THRESHOLD + 2);
    });

    it('opens again when the probe fails', async () => {
      const refused = await openApigCircuit();
      await wait(Number(refused.headers.get('retry-after')) * 1000);

      const probe = await call(gw, createTarget(gw.sim, 'apig.deleteCertificate').path, {
        token: caller,
      });
      assertProblem(probe, 502, 'UPSTREAM_ERROR');
      assert.equal(gw.sim.calls({ service: 'apig' }).length, THRESHOLD + 1);

      const again = await call(gw, createTarget(gw.sim, 'apig.deleteCertificate').path, {
        token: caller,
      });
      assertProblem(again, 503, 'UPSTREAM_UNAVAILABLE');
      assert.match(again.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
      assert.equal(gw.sim.calls({ service: 'apig' }).length, THRESHOLD + 1);
    });
  });
});
