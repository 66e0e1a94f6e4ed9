// metadata mode (docs/credentials.md "Metadata keys") through the whole gateway: temporary keys
// renewed before they expire and after a refusal, one fetch for concurrent callers, a bounded
// wait, no redirects, and 503 UPSTREAM_UNAVAILABLE with no service call when the metadata
// service cannot give a key.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import {
  DEFAULT_PROJECT,
  OPERATION_FIXTURES,
  call,
  callsSince,
  expectProblem,
  expectRevoked,
  markCalls,
  serviceCallsSince,
} from './support-routes.ts';
import { startModeGateway, type ModeGateway } from './support-credentials.ts';

const FAST = { upstream: { retries: 0, deadlineMs: 6000 } };
const KEY_PATH = '/openstack/latest/securitykey';

const keyFetches = (m: ModeGateway, mark: number) =>
  callsSince(m.sim, mark, { service: 'metadata' }).filter((c) => c.path === KEY_PATH);

describe('metadata: temporary keys', { concurrency: 1 }, () => {
  let m: ModeGateway;
  before(async () => {
    m = await startModeGateway('metadata', { config: FAST });
  });
  after(() => m.close());

  it('concurrent cold callers share one key fetch', async () => {
    const seeds = Array.from({ length: 8 }, () =>
      OPERATION_FIXTURES['kms.revokeGrant'].seed(m.sim, DEFAULT_PROJECT),
    );
    const mark = markCalls(m.sim);
    const answers = await Promise.all(seeds.map((seeded) => call(m.gw, seeded.path)));
    for (const answer of answers) expectRevoked(answer);
    assert.equal(keyFetches(m, mark).length, 1);
    const keys = new Set(serviceCallsSince(m.sim, mark).map((c) => c.signature?.access));
    keys.delete(undefined);
    assert.equal(keys.size, 1, 'all signed with the one key');
  });

  it('a revoked key is refused (401), renewed from the metadata service and the call replayed once', async () => {
    const first = m.sim.temporaryKeys().at(-1);
    m.sim.revokeTemporaryKeys();
    const seeded = OPERATION_FIXTURES['apig.deleteCertificate'].seed(m.sim, DEFAULT_PROJECT);
    const mark = markCalls(m.sim);
    expectRevoked(await call(m.gw, seeded.path));
    const services = serviceCallsSince(m.sim, mark).filter((c) => c.service !== 'metadata');
    assert.deepEqual(
      services.map((c) => [c.status, c.signature?.verified]),
      [
        [401, false],
        [204, true],
      ],
    );
    const renewed = m.sim.temporaryKeys().at(-1);
    assert.notEqual(renewed?.access, first?.access);
    assert.equal(services[1]?.signature?.access, renewed?.access);
    // The session token was revoked with the keys: a new handshake, then the key.
    assert.deepEqual(
      callsSince(m.sim, mark, { service: 'metadata' }).map((c) => `${c.method} ${c.status}`),
      ['GET 401', 'PUT 200', 'GET 200'],
    );
  });
});

describe('metadata: a short-lived key is fetched again at half its lifetime', () => {
  it('renews ahead of expiry, without a refusal, and never signs with an expired key', async () => {
    // A 3-second key: reusable for 1.5 s (half its lifetime), each call lasting at most 0.4 s.
    const m = await startModeGateway('metadata', {
      config: { upstream: { retries: 0, deadlineMs: 3000, attemptTimeoutMs: 400 } },
      simulator: { credentials: { metadata: { keyLifetimeSeconds: 3 } } },
    });
    try {
      const mark = markCalls(m.sim);
      expectRevoked(
        await call(m.gw, OPERATION_FIXTURES['kms.revokeGrant'].seed(m.sim, DEFAULT_PROJECT).path),
      );
      expectRevoked(
        await call(m.gw, OPERATION_FIXTURES['kms.revokeGrant'].seed(m.sim, DEFAULT_PROJECT).path),
      );
      assert.equal(keyFetches(m, mark).length, 1, 'well within its first half: reused');
      await sleep(1600);
      expectRevoked(
        await call(m.gw, OPERATION_FIXTURES['kms.revokeGrant'].seed(m.sim, DEFAULT_PROJECT).path),
      );
      assert.equal(keyFetches(m, mark).length, 2, 'past half its lifetime: fetched again');
      const services = serviceCallsSince(m.sim, mark).filter((c) => c.service !== 'metadata');
      assert.ok(services.every((c) => c.status === 200 && c.signature?.verified === true));
    } finally {
      await m.close();
    }
  });
});

describe('metadata: when no key can be had', { concurrency: 1 }, () => {
  let m: ModeGateway;
  before(async () => {
    m = await startModeGateway('metadata', {
      config: { ...FAST, cloud: { credentials: { metadataTimeoutMs: 300 } } },
    });
  });
  after(() => m.close());

  const expectUnavailable = async (what: string) => {
    const seeded = OPERATION_FIXTURES['kms.revokeGrant'].seed(m.sim, DEFAULT_PROJECT);
    const mark = markCalls(m.sim);
    const started = Date.now();
    const problem = expectProblem(await call(m.gw, seeded.path), 503, 'UPSTREAM_UNAVAILABLE');
    assert.equal(problem.upstream?.service, 'metadata', what);
    assert.deepEqual(
      serviceCallsSince(m.sim, mark).filter((c) => c.service !== 'metadata'),
      [],
      `${what}: no service call`,
    );
    assert.equal(seeded.exists(), true);
    return { mark, elapsed: Date.now() - started };
  };

  it('a reset connection is 503 UPSTREAM_UNAVAILABLE with no service call', async () => {
    m.sim.injectFault({ service: 'metadata', kind: 'reset', count: Infinity });
    await expectUnavailable('reset');
    m.sim.clearFaults();
  });

  it('a metadata service that hangs is given up on after the bounded timeout', async () => {
    m.sim.injectFault({ service: 'metadata', kind: 'hang', count: Infinity });
    const { elapsed } = await expectUnavailable('hang');
    m.sim.clearFaults();
    assert.ok(elapsed < 2000, `gave up after ${String(elapsed)} ms`);
  });

  it('a redirect is not followed', async () => {
    m.sim.injectFault({
      service: 'metadata',
      kind: 'status',
      status: 302,
      method: 'GET',
      headers: { Location: `${m.sim.url}${KEY_PATH}?followed=1` },
      count: Infinity,
    });
    const { mark } = await expectUnavailable('redirect');
    m.sim.clearFaults();
    assert.ok(keyFetches(m, mark).every((c) => c.query.followed === undefined));
  });

  it('a gateway pointed at no metadata service at all answers 503 and calls nothing', async () => {
    const nowhere = await startModeGateway('metadata', {
      config: FAST,
      env: { RESCIND_METADATA_URL: 'http://127.0.0.1:9' },
    });
    try {
      const seeded = OPERATION_FIXTURES['scm.deleteCsr'].seed(nowhere.sim, DEFAULT_PROJECT);
      const mark = markCalls(nowhere.sim);
      expectProblem(await call(nowhere.gw, seeded.path), 503, 'UPSTREAM_UNAVAILABLE');
      assert.deepEqual(callsSince(nowhere.sim, mark), []);
    } finally {
      await nowhere.close();
    }
  });

  it('works without the session handshake where the service does not offer it (404)', async () => {
    const plain = await startModeGateway('metadata', {
      config: FAST,
      simulator: { credentials: { metadata: { sessionTokens: false } } },
    });
    try {
      const mark = markCalls(plain.sim);
      expectRevoked(
        await call(
          plain.gw,
          OPERATION_FIXTURES['kms.revokeGrant'].seed(plain.sim, DEFAULT_PROJECT).path,
        ),
      );
      const metadata = callsSince(plain.sim, mark, { service: 'metadata' });
      assert.deepEqual(
        metadata.map((c) => `${c.method} ${c.status}`),
        ['PUT 404', 'GET 200'],
      );
      assert.equal(metadata[1]?.headers['x-metadata-token'], undefined);
    } finally {
      await plain.close();
    }
  });
});
