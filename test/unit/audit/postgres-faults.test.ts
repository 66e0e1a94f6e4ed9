// The PostgreSQL store under faults the shared suite cannot produce for SQLite: a server that
// stops answering (every process of it stopped with SIGSTOP), and the whole gateway — /readyz
// and a revocation — while the server is shut down and after it is back. Each server here is the
// test's own.

import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { verifyChain } from '../../../src/audit/chain/verify-chain.ts';
import { DEMO_RESOURCES } from '../../../src/simulator/index.ts';
import { startGateway } from '../../helpers/gateway.ts';
import { startPostgres, type PostgresServer } from '../../helpers/servers.ts';
import { pgQuery } from '../../helpers/pg-query.ts';
import {
  auditConfig,
  defer,
  openTestTrail,
  postgresRecords,
  refusal,
  sampleEvent,
  tempDir,
  waitFor,
} from './audit-test-kit.ts';

/** "Within about a second": the write deadline is 800 ms. */
const REFUSAL_BUDGET_MS = 1000;

async function ownServer(t: TestContext): Promise<{ server: PostgresServer; url: string }> {
  const server = await startPostgres();
  defer(t, () => server.close());
  await pgQuery(server.url(), 'CREATE DATABASE audit');
  return { server, url: server.url('audit') };
}

/** Polls /readyz (readiness changes have no event to await) until it answers `status`. */
async function readyzUntil(url: string, status: number): Promise<Response> {
  const deadline = performance.now() + 15_000;
  for (;;) {
    const response = await fetch(`${url}/readyz`);
    if (response.status === status) return response;
    await response.body?.cancel();
    assert.ok(performance.now() < deadline, `/readyz answers ${status} within 15 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function signal(pids: readonly number[], name: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
    } catch {
      // Gone already.
    }
  }
}

describe('PostgreSQL audit store faults', () => {
  test('refuses within a second when the server stops answering, and recovers when it answers again', async (t) => {
    const { server, url } = await ownServer(t);
    const { trail } = await openTestTrail(
      t,
      auditConfig(tempDir(t), { store: 'postgres', postgresUrl: url }),
      { writer: { probeIntervalMs: 100 } },
    );
    await trail.recordAttempt(sampleEvent({ requestId: 'before' }));

    const frozen = server.processes();
    assert.ok(frozen.length > 1, 'the postmaster and its backends');
    signal(frozen, 'SIGSTOP');
    defer(t, () => {
      signal(frozen, 'SIGCONT');
    });

    const elapsed = await refusal(trail.recordAttempt(sampleEvent({ requestId: 'hung' })));
    assert.ok(elapsed < REFUSAL_BUDGET_MS, `refused after ${Math.round(elapsed)} ms`);
    const readiness = trail.readiness();
    assert.equal(readiness.ready, false);
    assert.match(
      readiness.reasons.join(),
      new RegExp(`127\\.0\\.0\\.1:${server.port}/audit did not commit within 800 ms`),
    );
    const again = await refusal(trail.recordAttempt(sampleEvent({ requestId: 'still-hung' })));
    assert.ok(again < REFUSAL_BUDGET_MS, `refused after ${Math.round(again)} ms`);

    // The hung commit is given up (its connection closed, so it cannot commit later) ...
    await waitFor(() => trail.stats().failedCommits >= 1, 'the hung commit to be given up');
    // ... and the server answers again.
    signal(frozen, 'SIGCONT');
    await waitFor(() => trail.readiness().ready, 'readiness after the server answers', 15_000);
    const after = await trail.recordAttempt(sampleEvent({ requestId: 'after' }));

    const records = await postgresRecords(url);
    assert.equal((await verifyChain(records)).ok, true);
    assert.equal(records.at(-1)?.requestId, 'after');
    assert.equal(after.seq, records.length, 'no gap, nothing twice');
    // A refused attempt that reached the store late is closed, never left open.
    assert.deepEqual(
      records.map((record) => record.requestId),
      ['before', 'after'],
      'the refused attempts never reached the store',
    );
  });

  test('the gateway answers 503 AUDIT_UNAVAILABLE without calling the cloud while PostgreSQL is down, and revokes again once it is back, without a restart', async (t) => {
    const { server, url } = await ownServer(t);
    const gw = await startGateway({
      env: { RESCIND_AUDIT_STORE: 'postgres', RESCIND_AUDIT_POSTGRES_URL: url },
    });
    defer(t, () => gw.close());
    const token = await gw.token('alice');
    const [first, second] = DEMO_RESOURCES.kmsGrants;
    const revoke = (grant: { readonly keyId: string; readonly grantId: string }) =>
      fetch(`${gw.url}/v1/kms/keys/${grant.keyId}/grants/${grant.grantId}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
    assert.equal((await fetch(`${gw.url}/readyz`)).status, 200);

    await server.stop();
    const down = await readyzUntil(gw.url, 503);
    const body = await down.text();
    // Callers read a stable code; where the store is goes to the log only.
    assert.match(body, /"reasons":\["audit-store-not-durable"\]/);
    assert.equal(body.includes(String(server.port)), false, 'no host:port/db on /readyz');
    assert.match(gw.logs(), new RegExp(`PostgreSQL at 127\\.0\\.0\\.1:${server.port}/audit`));
    assert.equal(body.includes(server.password), false, 'no password on /readyz');

    const refused = await revoke(first);
    assert.equal(refused.status, 503);
    assert.equal(((await refused.json()) as { code: string }).code, 'AUDIT_UNAVAILABLE');
    assert.equal(gw.sim.calls({ service: 'kms' }).length, 0, 'the cloud was not called');

    await server.start();
    await readyzUntil(gw.url, 200);
    const revoked = await revoke(second);
    assert.equal(revoked.status, 200);
    assert.equal(gw.sim.calls({ service: 'kms' }).length, 1);
    assert.equal(gw.logs().includes(server.password), false, 'no password in the logs');

    const records = await postgresRecords(url);
    assert.equal((await verifyChain(records)).ok, true);
    assert.deepEqual(
      records.map((record) => [record.phase, record.outcome?.result ?? null, record.outcome?.code]),
      [
        // The refused request: no attempt (it could not be written), its outcome kept and
        // written once the store was back, before anything newer.
        ['outcome', 'failed', 'AUDIT_UNAVAILABLE'],
        ['attempt', null, undefined],
        ['outcome', 'revoked', null],
      ],
    );
  });
});
