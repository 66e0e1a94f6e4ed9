// metadata mode (docs/credentials.md "Metadata keys") through the whole gateway: temporary keys
// renewed before they expire and after a refusal, one fetch for concurrent callers, a bounded
// wait, no redirects, and 503 UPSTREAM_UNAVAILABLE with no service call when the metadata
// service cannot give a key.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import {
  call,
  callFresh,
  callsSince,
  expectProblem,
  expectRevoked,
  markCalls,
  seedDefault,
  serviceCallsSince,
} from './support-routes.ts';
import { modeGatewayOfSuite, withModeGateway, type ModeGateway } from './support-credentials.ts';

const FAST = { upstream: { retries: 0, deadlineMs: 6000 } };
const KEY_PATH = '/openstack/latest/securitykey';

const keyFetches = (m: ModeGateway, mark: number) =>
  callsSince(m.sim, mark, { service: 'metadata' }).filter((c) => c.path === KEY_PATH);

describe('metadata: temporary keys', { concurrency: 1 }, () => {
  const m = modeGatewayOfSuite('metadata', { config: FAST });

  it('concurrent cold callers share one key fetch', async () => {
    const seeds = Array.from({ length: 8 }, () => seedDefault(m.sim, 'kms.revokeGrant'));
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
    const mark = markCalls(m.sim);
    expectRevoked(await callFresh(m.gw, 'apig.deleteCertificate'));
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
    const shortLived = {
      config: { upstream: { retries: 0, deadlineMs: 3000, attemptTimeoutMs: 400 } },
      simulator: { credentials: { metadata: { keyLifetimeSeconds: 3 } } },
    };
    await withModeGateway('metadata', shortLived, async (m) => {
      const mark = markCalls(m.sim);
      expectRevoked(await callFresh(m.gw, 'kms.revokeGrant'));
      expectRevoked(await callFresh(m.gw, 'kms.revokeGrant'));
      assert.equal(keyFetches(m, mark).length, 1, 'well within its first half: reused');
      await sleep(1600);
      expectRevoked(await callFresh(m.gw, 'kms.revokeGrant'));
      assert.equal(keyFetches(m, mark).length, 2, 'past half its lifetime: fetched again');
      const services = serviceCallsSince(m.sim, mark).filter((c) => c.service !== 'metadata');
      assert.ok(services.every((c) => c.status === 200 && c.signature?.verified === true));
    });
  });
});

describe('metadata: when no key can be had', { concurrency: 1 }, () => {
  const m = modeGatewayOfSuite('metadata', {
    config: { ...FAST, cloud: { credentials: { metadataTimeoutMs: 300 } } },
  });

  const expectUnavailable = async (what: string) => {
    const seeded = seedDefault(m.sim, 'kms.revokeGrant');
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
    const noService = { RESCIND_METADATA_URL: 'http://127.0.0.1:9' };
    await withModeGateway('metadata', { config: FAST, env: noService }, async (nowhere) => {
      const seeded = seedDefault(nowhere.sim, 'scm.deleteCsr');
      const mark = markCalls(nowhere.sim);
      expectProblem(await call(nowhere.gw, seeded.path), 503, 'UPSTREAM_UNAVAILABLE');
      assert.deepEqual(callsSince(nowhere.sim, mark), []);
    });
  });

  it('works without the session handshake where the service does not offer it (404)', async () => {
    const noHandshake = { credentials: { metadata: { sessionTokens: false } } };
    await withModeGateway('metadata', { config: FAST, simulator: noHandshake }, async (plain) => {
      const mark = markCalls(plain.sim);
      expectRevoked(await callFresh(plain.gw, 'kms.revokeGrant'));
      const metadata = callsSince(plain.sim, mark, { service: 'metadata' });
      assert.deepEqual(
        metadata.map((c) => `${c.method} ${c.status}`),
        ['PUT 404', 'GET 200'],
      );
      assert.equal(metadata[1]?.headers['x-metadata-token'], undefined);
    });
  });
});
