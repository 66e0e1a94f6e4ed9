import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UpstreamFault } from '../../../src/upstream/parse-upstream-error.ts';
import {
  backoffDelay,
  decideRetry,
  isServiceFailure,
  isTransient,
  isUnknownOutcome,
  type RetryInput,
} from '../../../src/upstream/retry-policy.ts';

const network = (kind: 'refused' | 'reset' | 'timeout' | 'dns' | 'other', sent: boolean) =>
  ({ kind: 'network', network: kind, sent }) satisfies UpstreamFault;
const status = (code: number): UpstreamFault => ({ kind: 'envelope', status: code });

describe('which failures are transient, unknown or count against the circuit', () => {
  // prettier-ignore
  const ROWS: readonly [string, UpstreamFault, boolean, boolean, boolean][] = [
    // what,                         fault,                      transient, unknown, service failure
    ['refused',                      network('refused', false),  true,      false,   true],
    ['reset after sending',          network('reset', true),     true,      true,    true],
    ['reset before sending',         network('reset', false),    true,      false,   true],
    ['timeout after sending',        network('timeout', true),   true,      true,    true],
    ['timeout before connecting',    network('timeout', false),  true,      false,   true],
    ['dns',                          network('dns', false),      false,     false,   true],
    ['other network error',          network('other', false),    false,     false,   true],
    ['502',                          status(502),                true,      true,    true],
    ['503',                          status(503),                true,      false,   true],
    ['504',                          status(504),                true,      true,    true],
    ['500',                          status(500),                false,     false,   false],
    ['400',                          status(400),                false,     false,   false],
    ['404',                          status(404),                false,     false,   false],
    ['429',                          status(429),                false,     false,   false],
  ];
  for (const [what, fault, transient, unknown, serviceFailure] of ROWS) {
    it(`${what}: transient ${transient}, unknown outcome ${unknown}, service failure ${serviceFailure}`, () => {
      assert.equal(isTransient(fault), transient);
      assert.equal(isUnknownOutcome(fault), unknown);
      assert.equal(isServiceFailure(fault), serviceFailure);
    });
  }
});

describe('backoffDelay', () => {
  const options = { baseMs: 100, maxMs: 1000 };

  it('grows the ceiling exponentially and caps it at backoffMaxMs', () => {
    const almostOne = () => 0.999999;
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, options, almostOne)),
      [99, 199, 399, 799, 999, 999],
    );
  });

  it('draws uniformly below the ceiling (full jitter)', () => {
    assert.equal(
      backoffDelay(2, options, () => 0),
      0,
    );
    assert.equal(
      backoffDelay(2, options, () => 0.5),
      200,
    );
  });

  it('stays within bounds whatever the random source returns', () => {
    assert.equal(
      backoffDelay(1, options, () => 7),
      200,
    );
    assert.equal(
      backoffDelay(1, options, () => -1),
      0,
    );
  });
});

describe('decideRetry', () => {
  const base: RetryInput = {
    fault: network('reset', true),
    retriesUsed: 0,
    retries: 2,
    now: 10_000,
    deadline: 25_000,
    attemptTimeoutMs: 5_000,
    backoff: { baseMs: 100, maxMs: 2_000 },
    random: () => 0.5,
  };

  it('retries a transient failure after a jittered delay', () => {
    assert.deepEqual(decideRetry(base), { retry: true, delayMs: 50 });
    assert.deepEqual(decideRetry({ ...base, retriesUsed: 1 }), { retry: true, delayMs: 100 });
  });

  it('does not retry a 500 or a 4xx', () => {
    assert.deepEqual(decideRetry({ ...base, fault: status(500) }), {
      retry: false,
      reason: 'not-transient',
    });
    assert.deepEqual(decideRetry({ ...base, fault: status(409) }), {
      retry: false,
      reason: 'not-transient',
    });
  });

  it('stops after `retries` retries', () => {
    assert.deepEqual(decideRetry({ ...base, retriesUsed: 2 }), {
      retry: false,
      reason: 'exhausted',
    });
    assert.deepEqual(decideRetry({ ...base, retries: 0 }), { retry: false, reason: 'exhausted' });
  });

  it('never sleeps past the deadline', () => {
    // 50 ms of backoff and at least 100 ms for the attempt do not fit in 120 ms.
    assert.deepEqual(decideRetry({ ...base, deadline: base.now + 120 }), {
      retry: false,
      reason: 'deadline',
    });
    assert.deepEqual(decideRetry({ ...base, deadline: base.now + 150 }), {
      retry: true,
      delayMs: 50,
    });
  });

  it('asks no more room than the attempt timeout when that is shorter', () => {
    const input = { ...base, attemptTimeoutMs: 20, deadline: base.now + 70 };
    assert.deepEqual(decideRetry(input), { retry: true, delayMs: 50 });
  });
});
