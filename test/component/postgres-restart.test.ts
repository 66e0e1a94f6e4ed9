// A PostgreSQL failover under load: a real gateway process (`node src/main.ts`) on the
// PostgreSQL store, six callers revoking without pause, and the server restarted in immediate
// mode (`pg_ctl restart -m immediate`: every connection cut, crash recovery at start). The
// gateway must survive it, answer 503 AUDIT_UNAVAILABLE while the server is gone, and come back
// by itself: every 200 then has its outcome record, and the chain verifies.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import {
  gatewayWorld,
  loadThroughOutage,
  statusSummary,
  VERIFY_CLI,
  type GatewayProcess,
  type GatewayWorld,
} from '../helpers/gateway-world.ts';
import { startPostgres, type PostgresServer } from '../helpers/servers.ts';

const CLIENTS = 6;
const DOWN_MS = 1_500;

let server: PostgresServer;
let world: GatewayWorld;
let gateway: GatewayProcess;

async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: server.url('audit') });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

describe('PostgreSQL restarted in immediate mode under load', { concurrency: 1 }, () => {
  before(async () => {
    server = await startPostgres();
    const admin = new pg.Client({ connectionString: server.url() });
    await admin.connect();
    await admin.query('CREATE DATABASE audit');
    await admin.end();
    world = await gatewayWorld(
      { rateLimit: { windowSeconds: 60, perCaller: 1_000_000 }, log: { level: 'info' } },
      { RESCIND_AUDIT_STORE: 'postgres', RESCIND_AUDIT_POSTGRES_URL: server.url('audit') },
    );
    gateway = await world.start();
  });

  after(async () => {
    await world.close();
    await server.close();
  });

  test('the gateway survives, refuses with 503 while the server is down, then revokes again', async (t) => {
    const token = await world.issuer.sign({ sub: 'failover', groups: ['secops'] });
    const { answers, down, up } = await loadThroughOutage(gateway.url, token, {
      clients: CLIENTS,
      prefix: 'pg-restart',
      downMs: DOWN_MS,
      stop: () => server.crash(),
      start: () => server.start(),
    });

    const statuses = Map.groupBy(answers, (answer) => answer.status);
    t.diagnostic(statusSummary(answers));
    const back = answers.find((a) => a.at > up && a.status === 200)?.at ?? up;
    t.diagnostic(`first 200 ${Math.round(back - up)} ms after the server was back`);
    assert.equal(gateway.running(), true, `the process is alive:\n${gateway.output()}`);
    assert.deepEqual(
      [...statuses.keys()].filter((status) => status !== 200 && status !== 503),
      [],
      'nothing but 200 and 503 (no refused connection, no other error)',
    );
    for (const refused of statuses.get(503) ?? []) assert.equal(refused.code, 'AUDIT_UNAVAILABLE');
    // Sent after the server was gone and answered before it was back.
    const whileDown = answers.filter((a) => a.sentAt > down && a.at < up);
    assert.ok(whileDown.length > 0, 'callers were answered while the server was down');
    assert.ok(
      whileDown.every((answer) => answer.status === 503),
      'every answer while the server was down is 503',
    );
    assert.ok(
      answers.some((a) => a.at > up && a.status === 200),
      'revocations succeed again after the restart',
    );

    const acknowledged = answers.filter((answer) => answer.status === 200);
    const outcomes = await sql<{ id: string; request_id: string; result: string }>(
      "SELECT id, request_id, result FROM audit_records WHERE phase = 'outcome' AND id = ANY($1::text[])",
      [acknowledged.map((answer) => answer.auditId)],
    );
    const byId = new Map(outcomes.map((outcome) => [outcome.id, outcome]));
    for (const answer of acknowledged) {
      const outcome = byId.get(answer.auditId ?? '');
      assert.equal(outcome?.result, 'revoked', `${answer.requestId} has its outcome record`);
      assert.equal(outcome.request_id, answer.requestId);
    }

    gateway.child.kill('SIGTERM');
    assert.equal((await gateway.exited).code, 0, 'a graceful stop after the failover');
    const verify = await promisify(execFile)(process.execPath, [VERIFY_CLI, '--json'], {
      env: world.env,
      maxBuffer: 16 * 1024 * 1024,
    });
    const result = JSON.parse(verify.stdout) as { ok: boolean; records: number };
    assert.equal(result.ok, true, verify.stdout);
    assert.ok(result.records >= acknowledged.length * 2);
  });
});
