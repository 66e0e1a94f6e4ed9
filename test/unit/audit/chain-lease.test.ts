// The lease watch and its settings, without a database: when a chain counts as lapsed, and what
// an operator may configure.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLeaseWatch } from '../../../src/audit/stores/postgres-chain-lease.ts';
import { configSchema } from '../../../src/config/schema.ts';

const LEASE_MS = 30_000;

describe('the lease watch', () => {
  it('finds a chain due once its renewal stayed the same for a whole lease of watching', () => {
    const watch = createLeaseWatch(LEASE_MS);
    const gone = [{ chain: 'gone', renewal: '2026-01-01 00:00:00+00' }];
    assert.deepEqual(watch.observe(gone, 0), [], 'first seen');
    assert.deepEqual(watch.observe(gone, LEASE_MS - 1), []);
    assert.deepEqual(watch.observe(gone, LEASE_MS), ['gone']);
  });

  it('starts over when the writer renews, and for a chain that never renewed counts alike', () => {
    const watch = createLeaseWatch(LEASE_MS);
    watch.observe(
      [
        { chain: 'live', renewal: 'r1' },
        { chain: 'old', renewal: null },
      ],
      0,
    );
    assert.deepEqual(
      watch.observe(
        [
          { chain: 'live', renewal: 'r2' },
          { chain: 'old', renewal: null },
        ],
        LEASE_MS,
      ),
      ['old'],
    );
    assert.deepEqual(watch.observe([{ chain: 'live', renewal: 'r2' }], 2 * LEASE_MS - 1), []);
    assert.deepEqual(watch.observe([{ chain: 'live', renewal: 'r2' }], 2 * LEASE_MS), ['live']);
  });

  it('forgets what a failed scan may have missed, and chains whose attempts were closed', () => {
    const watch = createLeaseWatch(LEASE_MS);
    const gone = [{ chain: 'gone', renewal: 'r' }];
    watch.observe(gone, 0);
    watch.forget();
    assert.deepEqual(watch.observe(gone, LEASE_MS), [], 'watched afresh after a failed scan');
    watch.observe([], LEASE_MS + 1);
    assert.deepEqual(watch.observe(gone, 2 * LEASE_MS + 2), [], 'watched afresh once gone');
  });
});

describe('audit.adoption settings', () => {
  const required = {
    cloud: { iam: { domain: 'd', user: 'u', password: 'p' }, projects: { default: { id: 'x' } } },
    identity: { jwt: { issuer: 'i', audience: 'a', jwksUrl: 'https://j.example' } },
  };

  it('default to a 30 s lease and a scan every 10 s', () => {
    assert.deepEqual(configSchema.parse(required).audit.adoption, {
      leaseSeconds: 30,
      scanSeconds: 10,
    });
  });

  it('refuse a scan interval over half the lease: a live instance renews at every scan', () => {
    const parsed = configSchema.safeParse({
      ...required,
      audit: { adoption: { leaseSeconds: 10, scanSeconds: 6 } },
    });
    assert.equal(parsed.success, false);
    assert.deepEqual(
      parsed.error.issues.map((issue) => [issue.path.join('.'), issue.message]),
      [
        [
          'audit.adoption.scanSeconds',
          'must be at most half of leaseSeconds: a live instance renews its lease at every scan',
        ],
      ],
    );
  });
});
