// A PostgreSQL failover under load: a real gateway process (`node src/main.ts`) on the
// PostgreSQL store, six callers revoking without pause, and the server restarted in immediate
// mode (`pg_ctl restart -m immediate`: every connection cut, crash recovery at start). The
// gateway must survive it, answer 503 AUDIT_UNAVAILABLE while the server is gone, and come back
// by itself: every 200 then has its outcome record, and the chain verifies.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertRodeOut,
  loadThroughRestart,
  restartWorld,
  statusSummary,
  terminate,
  verifyAudit,
} from '../helpers/gateway-world.ts';
import { startPostgres } from '../helpers/servers.ts';
import { pgQuery } from '../helpers/pg-query.ts';
import { suiteScoped } from '../helpers/suite-scoped.ts';

describe('PostgreSQL restarted in immediate mode under load', { concurrency: 1 }, () => {
  const world = suiteScoped(async () =>
    restartWorld(await startPostgres(), async (server) => {
      await pgQuery(server.url(), 'CREATE DATABASE audit');
      return { RESCIND_AUDIT_STORE: 'postgres', RESCIND_AUDIT_POSTGRES_URL: server.url('audit') };
    }),
  );

  test('the gateway survives, refuses with 503 while the server is down, then revokes again', async (t) => {
    const outage = await loadThroughRestart(world, 'pg-restart', () => world.server.crash());

    const { answers, up } = outage;
    t.diagnostic(statusSummary(answers));
    const back = answers.find((a) => a.at > up && a.status === 200)?.at ?? up;
    t.diagnostic(`first 200 ${Math.round(back - up)} ms after the server was back`);
    assertRodeOut(outage, world.gateway, {
      status: 503,
      code: 'AUDIT_UNAVAILABLE',
      server: 'the server',
    });

    const acknowledged = answers.filter((answer) => answer.status === 200);
    const outcomes = await pgQuery<{ id: string; request_id: string; result: string }>(
      world.server.url('audit'),
      "SELECT id, request_id, result FROM audit_records WHERE phase = 'outcome' AND id = ANY($1::text[])",
      [acknowledged.map((answer) => answer.auditId)],
    );
    const byId = new Map(outcomes.map((outcome) => [outcome.id, outcome]));
    for (const answer of acknowledged) {
      const outcome = byId.get(answer.auditId ?? '');
      assert.equal(outcome?.result, 'revoked', `${answer.requestId} has its outcome record`);
      assert.equal(outcome.request_id, answer.requestId);
    }

    assert.equal(await terminate(world.gateway), 0, 'a graceful stop after the failover');
    const { report, stdout } = await verifyAudit(world.env);
    assert.equal(report.ok, true, stdout);
    assert.ok(report.records >= acknowledged.length * 2);
  });
});
