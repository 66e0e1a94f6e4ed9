import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProblemError } from '../../../src/problems/problem-error.ts';
import { iamFailure } from '../../../src/iam/iam-failure.ts';
import type { ExchangedToken } from '../../../src/iam/parse-iam-answer.ts';
import { createTokenCache, isTokenUsable } from '../../../src/iam/token-cache.ts';
import { createFakeTime, deferred, START } from './fake-time.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const MARGIN = 40 * MINUTE;
const KEY = 'project:0123456789abcdef0123456789abcdef';

/** A cache on fake time whose exchanges issue `lifetimeMs` tokens named tok-1, tok-2, … */
function setup(lifetimeMs = 24 * HOUR, marginMs = MARGIN) {
  const time = createFakeTime();
  const cache = createTokenCache({ marginMs, clock: time.clock, setTimer: time.setTimer });
  let exchanges = 0;
  const exchange = (): Promise<ExchangedToken> => {
    exchanges += 1;
    const now = time.clock();
    return Promise.resolve({
      value: `tok-${exchanges}`,
      issuedAt: now,
      expiresAt: now + lifetimeMs,
    });
  };
  const lookup = (useForMs: number, deadlineMs: number) => ({
    useUntil: time.clock() + useForMs,
    deadline: time.clock() + deadlineMs,
  });
  const get = (useForMs = 5 * SECOND, deadlineMs = 15 * SECOND) =>
    cache.get(KEY, lookup(useForMs, deadlineMs), exchange);
  return { time, cache, exchange, get, lookupFor: lookup, exchanges: () => exchanges };
}

/** An exchange that stays open until the test settles `pending`, counting how often it ran. */
function heldExchange() {
  const pending = deferred<ExchangedToken>();
  let calls = 0;
  const exchange = (): Promise<ExchangedToken> => {
    calls += 1;
    return pending.promise;
  };
  return { pending, exchange, calls: () => calls };
}

describe('isTokenUsable', () => {
  const day: ExchangedToken = { value: 't', issuedAt: START, expiresAt: START + 24 * HOUR };
  const short: ExchangedToken = { value: 't', issuedAt: START, expiresAt: START + 3 * SECOND };
  const cases: [string, ExchangedToken, number, number, boolean][] = [
    ['a fresh 24-hour token', day, START, START + 5 * SECOND, true],
    ['a 24-hour token just outside the margin', day, START + 24 * HOUR - MARGIN - 1, START, true],
    ['a 24-hour token at the margin', day, START + 24 * HOUR - MARGIN, START, false],
    ['a token that would expire during the call', day, START, START + 24 * HOUR, false],
    ['a 3-second token with half its life left', short, START + 1400, START + 1500, true],
    ['a 3-second token at half its life', short, START + 1500, START + 1500, false],
    ['a 3-second token needed beyond its expiry', short, START, START + 3 * SECOND, false],
    ['an expired token', short, START + 4 * SECOND, START + 4 * SECOND, false],
  ];
  for (const [name, token, now, useUntil, usable] of cases) {
    test(`${usable ? 'accepts' : 'refuses'} ${name}`, () => {
      assert.equal(isTokenUsable(token, now, useUntil, MARGIN), usable);
    });
  }
});

describe('token cache', () => {
  test('reuses a 24-hour token across many calls and exchanges once', async () => {
    const { time, get, exchanges } = setup();
    const first = await get();
    assert.equal(first.fromCache, false);
    for (let i = 0; i < 1000; i += 1) {
      const { token, fromCache } = await get();
      assert.equal(fromCache, true);
      assert.equal(token.value, 'tok-1');
      time.advance(MINUTE);
    }
    assert.equal(exchanges(), 1);
  });

  test('refreshes a token once it is within the refresh margin of expiry', async () => {
    const { time, get, exchanges } = setup();
    await get();
    time.advance(24 * HOUR - MARGIN - SECOND);
    assert.equal((await get()).token.value, 'tok-1');
    time.advance(SECOND);
    const refreshed = await get();
    assert.equal(refreshed.token.value, 'tok-2');
    assert.equal(refreshed.fromCache, false);
    assert.equal(exchanges(), 2);
  });

  test('never hands out a 3-second token after or too close to its expiry', async () => {
    const { time, get, exchanges } = setup(3 * SECOND);
    let hits = 0;
    // 30 simulated seconds of calls every 100 ms, each needing its token for 500 ms more.
    for (let step = 0; step < 300; step += 1) {
      const now = time.clock();
      const { token, fromCache } = await get(500);
      if (fromCache) hits += 1;
      assert.ok(token.expiresAt > now + 500, `token expiring at +${token.expiresAt - now} ms`);
      if (fromCache) assert.ok(token.expiresAt - now > 1500, 'inside half its lifetime');
      time.advance(100);
    }
    assert.ok(hits > 0, 'a short token is still reused while it is good');
    assert.ok(exchanges() >= 20, `only ${exchanges()} exchanges for 30 s of 3 s tokens`);
  });

  test('does not hand out a cached token that expires before the call ends', async () => {
    const { get, exchanges } = setup(3 * SECOND);
    await get(500);
    const { token, fromCache } = await get(4 * SECOND);
    assert.equal(fromCache, false);
    assert.equal(token.value, 'tok-2');
    assert.equal(exchanges(), 2);
  });

  test('hands out a freshly exchanged token even when it is shorter than the call', async () => {
    const { time, get } = setup(3 * SECOND);
    const { token, fromCache } = await get(10 * SECOND);
    assert.equal(fromCache, false);
    assert.equal(token.expiresAt, time.clock() + 3 * SECOND);
  });

  test('50 concurrent cold requests for one scope share one exchange', async () => {
    const { time, cache, lookupFor } = setup();
    const { pending, exchange, calls } = heldExchange();
    const lookup = lookupFor(SECOND, 10 * SECOND);
    const waiting = Array.from({ length: 50 }, () => cache.get(KEY, lookup, exchange));
    await Promise.resolve();
    pending.resolve({ value: 'shared', issuedAt: START, expiresAt: START + 24 * HOUR });
    const results = await Promise.all(waiting);
    assert.equal(calls(), 1);
    assert.ok(results.every((r) => r.token.value === 'shared' && !r.fromCache));
    assert.equal(time.pendingTimers(), 0, 'deadline timers are cancelled');
  });

  test('keeps scopes apart: each scope exchanges for its own token', async () => {
    const { cache, lookupFor } = setup();
    const scopes: string[] = [];
    const exchange = (key: string) => () => {
      scopes.push(key);
      return Promise.resolve({ value: key, issuedAt: START, expiresAt: START + 24 * HOUR });
    };
    const lookup = lookupFor(SECOND, SECOND);
    const [a, b] = await Promise.all([
      cache.get('domain', lookup, exchange('domain')),
      cache.get(KEY, lookup, exchange(KEY)),
    ]);
    assert.equal(a.token.value, 'domain');
    assert.equal(b.token.value, KEY);
    assert.equal((await cache.get('domain', lookup, exchange('again'))).token.value, 'domain');
    assert.deepEqual(scopes, ['domain', KEY]);
  });

  test('does not cache a failed exchange: the next request tries again', async () => {
    const { cache, lookupFor } = setup();
    let calls = 0;
    const exchange = () => {
      calls += 1;
      return calls === 1
        ? Promise.reject(iamFailure('unavailable', { detail: 'IAM could not issue a token.' }))
        : Promise.resolve({ value: 'second', issuedAt: START, expiresAt: START + 24 * HOUR });
    };
    const lookup = lookupFor(SECOND, SECOND);
    await assert.rejects(cache.get(KEY, lookup, exchange), { code: 'UPSTREAM_UNAVAILABLE' });
    assert.equal((await cache.get(KEY, lookup, exchange)).token.value, 'second');
    assert.equal(calls, 2);
  });

  test('gives every concurrent waiter the error of the exchange they shared', async () => {
    const { cache, lookupFor } = setup();
    const { pending, exchange, calls } = heldExchange();
    const lookup = lookupFor(SECOND, 10 * SECOND);
    const waiting = Array.from({ length: 10 }, () => cache.get(KEY, lookup, exchange));
    const failure = iamFailure('rejected', { detail: "IAM rejected the gateway's credentials." });
    pending.reject(failure);
    const settled = await Promise.allSettled(waiting);
    assert.equal(calls(), 1);
    for (const outcome of settled) {
      assert.equal(outcome.status, 'rejected');
      assert.equal(outcome.reason, failure);
    }
  });

  test('invalidate drops the cached token only while it is still that token', async () => {
    const { cache, get, exchanges } = setup();
    const first = (await get()).token.value;
    assert.equal(cache.invalidate(KEY, 'some-other-token'), false);
    assert.equal((await get()).fromCache, true);

    assert.equal(cache.invalidate(KEY, first), true);
    const second = await get();
    assert.equal(second.fromCache, false);
    assert.notEqual(second.token.value, first);

    // A late report about the old token leaves the newer one alone.
    assert.equal(cache.invalidate(KEY, first), false);
    assert.equal((await get()).token.value, second.token.value);
    assert.equal(cache.invalidate('domain', second.token.value), false);
    assert.equal(exchanges(), 2);
  });

  test("bounds a caller's wait on a stuck exchange by its deadline, and caches the late result", async () => {
    const { time, cache } = setup();
    const { pending, exchange, calls } = heldExchange();
    const now = time.clock();
    const hasty = cache.get(KEY, { useUntil: now + SECOND, deadline: now + 2 * SECOND }, exchange);
    const patient = cache.get(
      KEY,
      { useUntil: now + SECOND, deadline: now + 60 * SECOND },
      exchange,
    );
    time.advance(2 * SECOND);
    await assert.rejects(hasty, (error: unknown) => {
      assert.ok(error instanceof ProblemError);
      assert.equal(error.code, 'UPSTREAM_UNAVAILABLE');
      assert.equal(error.upstream?.service, 'iam');
      assert.ok((error.retryAfter ?? 0) > 0);
      return true;
    });

    pending.resolve({ value: 'late', issuedAt: now, expiresAt: now + 24 * HOUR });
    assert.equal((await patient).token.value, 'late');
    const later = await cache.get(KEY, { useUntil: now, deadline: now }, exchange);
    assert.deepEqual([later.token.value, later.fromCache], ['late', true]);
    assert.equal(calls(), 1);
  });

  test('a caller whose deadline has passed gets UPSTREAM_UNAVAILABLE and starts no exchange', async () => {
    const { time, cache } = setup();
    let calls = 0;
    const exchange = () => {
      calls += 1;
      return Promise.resolve({ value: 'x', issuedAt: START, expiresAt: START + HOUR });
    };
    const now = time.clock();
    await assert.rejects(cache.get(KEY, { useUntil: now, deadline: now - 1 }, exchange), {
      code: 'UPSTREAM_UNAVAILABLE',
    });
    assert.equal(calls, 0);
  });
});
