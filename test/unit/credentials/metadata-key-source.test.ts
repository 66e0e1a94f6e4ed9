// The metadata key source (docs/credentials.md "Metadata keys") with a hand-moved clock: renewed
// with 40 minutes left (half the lifetime for short-lived keys), one fetch for concurrent
// callers, never an expired key, and a refused key dropped.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MetadataClient, TemporaryKey } from '../../../src/credentials/fetch-security-key.ts';
import { createMetadataKeySource } from '../../../src/credentials/metadata-key-source.ts';
import { ProblemError } from '../../../src/problems/problem-error.ts';

const MINUTE = 60_000;
const MARGIN = 40 * MINUTE;

function world(lifetimeMs: number) {
  let now = Date.UTC(2025, 0, 6, 9, 0, 0);
  let fetches = 0;
  let release: (() => void) | undefined;
  let hold = false;
  const client: MetadataClient = {
    async fetchKey(): Promise<TemporaryKey> {
      fetches += 1;
      const n = fetches;
      if (hold) await new Promise<void>((resolve) => (release = resolve));
      return {
        accessKey: `AK${String(n)}`,
        secretKey: `sk${String(n)}`,
        securityToken: `st${String(n)}`,
        expiresAt: now + lifetimeMs,
      };
    },
  };
  const source = createMetadataKeySource({ client, marginMs: MARGIN, clock: () => now });
  const lookup = () => ({ deadline: now + 10_000, useUntil: now + 5_000, requestId: 'r' });
  return {
    source,
    lookup,
    advance: (ms: number) => (now += ms),
    fetches: () => fetches,
    hold: () => (hold = true),
    release: () => release?.(),
  };
}

describe('metadata key source', () => {
  it('reuses a 24-hour key until 40 minutes remain, then fetches a new one', async () => {
    const w = world(24 * 60 * MINUTE);
    assert.equal((await w.source.current(w.lookup())).accessKey, 'AK1');
    w.advance(23 * 60 * MINUTE + 19 * MINUTE);
    assert.equal((await w.source.current(w.lookup())).accessKey, 'AK1', '41 minutes left');
    w.advance(2 * MINUTE);
    assert.equal((await w.source.current(w.lookup())).accessKey, 'AK2', '39 minutes left');
    assert.equal(w.fetches(), 2);
  });

  it('renews a 30-minute key at half its lifetime', async () => {
    const w = world(30 * MINUTE);
    await w.source.current(w.lookup());
    w.advance(14 * MINUTE);
    assert.equal((await w.source.current(w.lookup())).accessKey, 'AK1');
    w.advance(2 * MINUTE);
    assert.equal((await w.source.current(w.lookup())).accessKey, 'AK2');
  });

  it('concurrent callers share one fetch', async () => {
    const w = world(24 * 60 * MINUTE);
    w.hold();
    const all = Promise.all(Array.from({ length: 10 }, () => w.source.current(w.lookup())));
    await new Promise((resolve) => setImmediate(resolve));
    w.release();
    const keys = await all;
    assert.equal(w.fetches(), 1);
    assert.ok(keys.every((key) => key.accessKey === 'AK1'));
  });

  it('never hands out a key that has already expired', async () => {
    const w = world(-1000);
    await assert.rejects(
      w.source.current(w.lookup()),
      (error) => error instanceof ProblemError && error.code === 'UPSTREAM_UNAVAILABLE',
    );
  });

  it('drops a refused key so that the next caller fetches a new one', async () => {
    const w = world(24 * 60 * MINUTE);
    const first = await w.source.current(w.lookup());
    w.source.invalidate({ accessKey: 'AK-other', secretKey: 'x' });
    assert.equal((await w.source.current(w.lookup())).accessKey, 'AK1', 'another key: kept');
    w.source.invalidate(first);
    assert.equal((await w.source.current(w.lookup())).accessKey, 'AK2');
  });
});
