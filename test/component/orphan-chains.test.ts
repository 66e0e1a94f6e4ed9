// Chains whose instance never comes back, with real processes on one real PostgreSQL: three
// gateways (`node src/main.ts`); one is killed with SIGKILL while its revocations hang in the
// cloud, so their attempts are durable and their outcomes never written, and its instance id is
// never used again (a Deployment's pod with a random name). The two others, both scanning,
// close its open attempts as `unknown` within a bounded time, in its chain, exactly once, naming
// the one that did; and `audit:verify` finds every chain intact.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  revokeDemoGrant,
  startFleet,
  verifyAudit,
  type GatewayProcess,
} from '../helpers/gateway-world.ts';
import { pgQuery } from '../helpers/pg-query.ts';
import { suiteScoped } from '../helpers/suite-scoped.ts';

const LEASE_SECONDS = 3;
const SCAN_SECONDS = 1;
/**
 * After the kill: a survivor sees the dead chain's lease unchanged for a whole lease time (from
 * its first scan after the kill), then adopts it at its next scan. The rest is slack for a busy
 * machine.
 */
const ADOPTION_BOUND_MS = (LEASE_SECONDS + 2 * SCAN_SECONDS) * 1000 + 10_000;
const HANGING = 4;
const VICTIM = 'pod-7f9c4-xk2lp';
const SURVIVORS = ['pod-7f9c4-a1b2c', 'pod-7f9c4-d3e4f'];

function revoke(gateway: GatewayProcess, token: string, n: number): Promise<Response> {
  return revokeDemoGrant(gateway.url, token, `${gateway.id}-${n}`, n);
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    assert.ok(performance.now() < deadline, `${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a chain whose instance never comes back (PostgreSQL, real processes)', () => {
  // The victim, then the survivors, scanning for chains whose instance is gone.
  const pods = suiteScoped(() =>
    startFleet([VICTIM, ...SURVIVORS], {
      // The hanging revocations stay in flight until the process is killed.
      upstream: { attemptTimeoutMs: 120_000, deadlineMs: 120_000, retries: 0 },
      audit: { adoption: { leaseSeconds: LEASE_SECONDS, scanSeconds: SCAN_SECONDS } },
      log: { level: 'info' },
    }),
  );
  const sql = <T extends Record<string, unknown>>(text: string, values?: unknown[]) =>
    pgQuery<T>(pods.databaseUrl, text, values);

  test('the survivors close its open attempts as unknown, in its chain, once, within a bounded time', async (t) => {
    const [victim, ...survivors] = pods.gateways;
    const simulator = pods.world.sim;
    assert.ok(victim !== undefined && survivors.length === 2);
    const token = await pods.world.issuer.sign({ sub: 'secops-oncall', groups: ['secops'] });
    for (const [index, survivor] of survivors.entries()) {
      assert.equal((await revoke(survivor, token, index)).status, 200, `${survivor.id} revokes`);
    }

    // Revocations on the victim that hang in the cloud: durable attempts, no outcome.
    simulator.injectFault({ service: 'kms', kind: 'hang', count: HANGING });
    const hanging = Array.from({ length: HANGING }, (_, n) =>
      revoke(victim, token, n).catch((error: unknown) => error),
    );
    const attempts = await until('the hanging attempts to be durable', 20_000, async () => {
      const rows = await sql<{ id: string }>(
        'SELECT id FROM audit_open_attempts WHERE chain = $1',
        [VICTIM],
      );
      const inCloud = simulator.calls({ service: 'kms' }).filter((call) => call.fault === 'hang');
      return rows.length === HANGING && inCloud.length === HANGING
        ? rows.map((row) => row.id)
        : undefined;
    });

    await victim.kill();
    const killedAt = performance.now();
    for (const answer of await Promise.all(hanging)) {
      assert.ok(answer instanceof Error, 'the killed gateway never answered');
    }
    await until('the victim chain to have no open attempt', ADOPTION_BOUND_MS, async () => {
      const rows = await sql('SELECT id FROM audit_open_attempts WHERE chain = $1', [VICTIM]);
      return rows.length === 0 ? true : undefined;
    });
    const seconds = (performance.now() - killedAt) / 1000;
    t.diagnostic(
      `closed ${HANGING} open attempts ${seconds.toFixed(1)} s after SIGKILL (lease ${LEASE_SECONDS} s, scan ${SCAN_SECONDS} s)`,
    );

    const outcomes = await sql<{ chain: string; attempt_id: string; result: string; body: string }>(
      `SELECT chain, attempt_id, result, body FROM audit_records
       WHERE phase = 'outcome' AND attempt_id = ANY($1::text[])`,
      [attempts],
    );
    assert.equal(outcomes.length, HANGING, 'one outcome per attempt, although two survivors scan');
    assert.deepEqual(new Set(outcomes.map((row) => row.attempt_id)), new Set(attempts));
    for (const row of outcomes) {
      const { outcome } = JSON.parse(row.body) as { outcome: Record<string, unknown> };
      assert.equal(row.chain, VICTIM, 'appended to the dead chain');
      assert.equal(row.result, 'unknown');
      assert.equal(outcome.reason, 'process-ended-before-outcome');
      assert.ok(
        SURVIVORS.includes(String(outcome.closedBy)),
        `closed by ${String(outcome.closedBy)}`,
      );
    }
    assert.deepEqual(await sql('SELECT id FROM audit_open_attempts'), [], 'nothing left open');

    // The survivors keep serving, and every chain verifies.
    for (const [index, survivor] of survivors.entries()) {
      assert.equal((await revoke(survivor, token, 10 + index)).status, 200);
    }
    const { report: result, stdout } = await verifyAudit(pods.world.env);
    assert.equal(result.ok, true, stdout);
    assert.deepEqual(
      result.chains.map((chain) => [chain.chain, chain.headSeq]).sort(),
      [
        [SURVIVORS[0], 4],
        [SURVIVORS[1], 4],
        [VICTIM, 2 * HANGING],
      ].sort(),
    );
  });
});
