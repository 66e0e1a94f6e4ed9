// A fleet: four gateway processes (`node src/main.ts`, configured as an operator configures
// them) on one PostgreSQL database and one Redis, revoking concurrently against the simulator.
// Afterwards every chain verifies with `audit:verify` (signed checkpoints included), no seq is
// missing or twice, every acknowledged revocation has its outcome record, no attempt is left
// open, and one caller's limit held across all four instances.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { generateCheckpointKey } from '../../src/audit/chain/checkpoint-key.ts';
import {
  revokeDemoGrant,
  startFleet,
  terminate,
  verifyAudit,
  type GatewayProcess,
} from '../helpers/gateway-world.ts';
import { pgQuery } from '../helpers/pg-query.ts';
import { suiteScoped } from '../helpers/suite-scoped.ts';

const INSTANCES = 4;
const CALLERS = 8;
const REVOCATIONS_PER_CALLER = 450;
const CONCURRENCY = 64;
/** The shared limit under test: one caller, 800 requests over the four instances. */
const PER_CALLER = 500;
const LIMITED_REQUESTS = 800;
/** The limit is counted atomically in Redis; the tolerance covers nothing but a window reset. */
const TOLERANCE = 5;

interface Answer {
  readonly instance: string;
  readonly requestId: string;
  readonly status: number;
  readonly auditId: string | null;
  /** The problem code of a refusal (problem+json). */
  readonly code?: string;
}

const key = generateCheckpointKey();

function revoke(gw: GatewayProcess, token: string, requestId: string, grant: number) {
  return revokeDemoGrant(gw.url, token, requestId, grant).then(
    async (response): Promise<Answer> => {
      const body = (await response.json()) as { auditId?: string; code?: string };
      return {
        instance: gw.id,
        requestId,
        status: response.status,
        auditId: body.auditId ?? null,
        ...(body.code === undefined ? {} : { code: body.code }),
      };
    },
  );
}

/** Runs the jobs with at most `concurrency` in flight. */
async function pooled<T>(jobs: readonly (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results: T[] = new Array<T>(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) {
        const index = next++;
        const job = jobs[index];
        if (job !== undefined) results[index] = await job();
      }
    }),
  );
  return results;
}

describe('a fleet of four gateways on one PostgreSQL and one Redis', { concurrency: 1 }, () => {
  const fleet = suiteScoped(() =>
    startFleet(
      Array.from({ length: INSTANCES }, (_, index) => `fleet-${index + 1}`),
      (dir) => ({
        rateLimit: { windowSeconds: 3600, perCaller: PER_CALLER },
        // Signed checkpoints go to the database (where audit:verify reads them) and, as a
        // second copy, to a file the four instances share here.
        audit: { checkpoints: { everyRecords: 250, path: join(dir, 'audit.checkpoints') } },
        log: { level: 'info' },
      }),
      { redis: true, variables: { RESCIND_AUDIT_CHECKPOINT_KEY: key.privateKeyPem } },
    ),
  );
  const sql = <T extends Record<string, unknown>>(text: string, values?: unknown[]) =>
    pgQuery<T>(fleet.databaseUrl, text, values);
  let answers: Answer[] = [];
  let limited: Answer[] = [];

  test('revokes thousands of times concurrently over four instances', async (t) => {
    const callers = Array.from({ length: CALLERS }, (_, index) => `fleet-caller-${index + 1}`);
    const tokens = await Promise.all(
      callers.map((caller) => fleet.world.issuer.sign({ sub: caller, groups: ['secops'] })),
    );
    const jobs = callers.flatMap((caller, c) =>
      Array.from({ length: REVOCATIONS_PER_CALLER }, (_, n) => () => {
        const gw = fleet.gateways[(c + n) % INSTANCES];
        assert.ok(gw);
        return revoke(gw, tokens[c] ?? '', `${caller}-${n}`, n);
      }),
    );
    const started = performance.now();
    answers = await pooled(jobs, CONCURRENCY);
    const seconds = (performance.now() - started) / 1000;
    t.diagnostic(
      `${answers.length} revocations in ${seconds.toFixed(1)} s (${Math.round(answers.length / seconds)}/s) over ${INSTANCES} instances, ${CONCURRENCY} in flight`,
    );
    const statuses = Map.groupBy(answers, (answer) => answer.status);
    const refusals = answers.filter((answer) => answer.status !== 200);
    assert.deepEqual(
      [...statuses.keys()],
      [200],
      `every revocation succeeded; refused: ${JSON.stringify(refusals.slice(0, 5))}`,
    );
    assert.equal(
      fleet.world.sim.calls({ service: 'kms' }).length,
      answers.length,
      'one cloud call each',
    );
  });

  test('holds one caller to its limit across all four instances', async (t) => {
    const { issuer, sim } = fleet.world;
    const token = await issuer.sign({ sub: 'fleet-limited', groups: ['secops'] });
    const before = sim.calls({ service: 'kms' }).length;
    limited = await pooled(
      Array.from({ length: LIMITED_REQUESTS }, (_, n) => () => {
        const gw = fleet.gateways[n % INSTANCES];
        assert.ok(gw);
        return revoke(gw, token, `fleet-limited-${n}`, n);
      }),
      CONCURRENCY,
    );
    const allowed = limited.filter((answer) => answer.status === 200).length;
    const refused = limited.filter((answer) => answer.status === 429).length;
    t.diagnostic(
      `limit ${PER_CALLER}: ${allowed} allowed, ${refused} refused of ${LIMITED_REQUESTS}; per instance allowed: ${JSON.stringify(
        Object.fromEntries(
          [
            ...Map.groupBy(
              limited.filter((a) => a.status === 200),
              (a) => a.instance,
            ),
          ].map(([k, v]) => [k, v.length]),
        ),
      )}`,
    );
    assert.equal(allowed + refused, LIMITED_REQUESTS, 'nothing but 200 and 429');
    assert.ok(
      Math.abs(allowed - PER_CALLER) <= TOLERANCE,
      `${allowed} allowed, limit ${PER_CALLER}`,
    );
    assert.equal(
      sim.calls({ service: 'kms' }).length - before,
      allowed,
      'the refused reached no cloud',
    );
    assert.ok(
      new Set(limited.filter((answer) => answer.status === 200).map((a) => a.instance)).size ===
        INSTANCES,
      'every instance allowed some',
    );
  });

  test('every chain verifies, without a missing or repeated seq, and every acknowledged revocation has its outcome', async (t) => {
    // A graceful stop: in-flight work and final checkpoints are written, exit 0.
    assert.deepEqual(
      await Promise.all(fleet.gateways.map((gw) => terminate(gw))),
      fleet.gateways.map(() => 0),
    );

    const chains = await sql<{ chain: string; records: number; distinct: number; max: number }>(
      `SELECT chain, count(*)::int AS records, count(DISTINCT seq)::int AS distinct, max(seq)::int AS max
       FROM audit_records GROUP BY chain ORDER BY chain`,
    );
    t.diagnostic(`records per chain: ${chains.map((c) => `${c.chain} ${c.records}`).join(', ')}`);
    assert.deepEqual(
      chains.map((chain) => chain.chain),
      fleet.gateways.map((gw) => gw.id),
    );
    for (const chain of chains) {
      assert.equal(chain.distinct, chain.records, `${chain.chain}: no seq twice`);
      assert.equal(chain.max, chain.records, `${chain.chain}: no seq missing`);
    }

    const acknowledged = [...answers, ...limited].filter((answer) => answer.status === 200);
    const outcomes = await sql<{
      id: string;
      request_id: string;
      result: string;
      attempt: string | null;
    }>(
      `SELECT o.id, o.request_id, o.result, a.id AS attempt
       FROM audit_records o LEFT JOIN audit_records a ON a.id = o.attempt_id
       WHERE o.id = ANY($1::text[])`,
      [acknowledged.map((answer) => answer.auditId)],
    );
    const byId = new Map(outcomes.map((outcome) => [outcome.id, outcome]));
    for (const answer of acknowledged) {
      const outcome = byId.get(answer.auditId ?? '');
      assert.equal(outcome?.result, 'revoked', `${answer.requestId} has its outcome`);
      assert.equal(outcome.request_id, answer.requestId);
      assert.ok(outcome.attempt !== null, `${answer.requestId} has its attempt`);
    }
    const rateLimited = await sql<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_records WHERE result = 'rate-limited'",
    );
    assert.equal(rateLimited[0]?.n, limited.filter((answer) => answer.status === 429).length);
    const checkpoints = await sql<{ chain: string; n: number }>(
      'SELECT chain, count(*)::int AS n FROM audit_checkpoints GROUP BY chain ORDER BY chain',
    );
    assert.deepEqual(
      checkpoints.map((row) => [row.chain, row.n >= 2]),
      fleet.gateways.map((gw) => [gw.id, true]),
      'every instance keeps signed checkpoints in the database',
    );
    const open = await sql<{ n: number }>('SELECT count(*)::int AS n FROM audit_open_attempts');
    assert.equal(open[0]?.n, 0, 'no attempt left without an outcome');

    const { report: result } = await verifyAudit(fleet.world.env);
    t.diagnostic(`audit:verify: ${result.records} records, ${result.checkpoints} checkpoints`);
    assert.equal(result.ok, true);
    assert.equal(result.signaturesChecked, true);
    assert.equal(result.chains.length, INSTANCES);
    for (const chain of result.chains) {
      assert.ok(chain.checkpoints >= 2, `${chain.chain}: checkpoints matched`);
    }
  });
});
