// The bench's durable floor (bench/servers/durable-floor.ts) is only a floor if it does the work
// it stands for: each request commits a record to its SQLite file before the cloud is called and
// another after, sends the cloud the call Rescind would, and answers only then.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { startDurableFloorProcess, type ServerProcess } from '../../bench/lib/processes.ts';
import type { FloorLayer } from '../../bench/servers/durable-floor.ts';
import { cloudLoad, fetchIamToken, GRANT, PROJECT } from '../../bench/lib/workload.ts';
import { eventually } from '../helpers/wait.ts';
import { startSimulator } from '../../src/simulator/index.ts';
import type { Simulator } from '../../src/simulator/simulator-types.ts';

/** The simulator with the bench's grant, and a floor with `layers` in front of it. */
function floorWorld(layers: FloorLayer[] = []) {
  const world = {
    sim: undefined as unknown as Simulator,
    floor: undefined as unknown as ServerProcess,
    token: '',
    dir: mkdtempSync(join(tmpdir(), 'rescind-floor-')),
    dbFile: '',
    /** The cloud call as the bench's baselines send it. */
    upstream: () => {
      const call = cloudLoad(world.sim.url, world.token, { connections: 1, durationSeconds: 1 });
      return { url: call.url, body: call.body ?? '', iamToken: world.token };
    },
  };
  world.dbFile = join(world.dir, 'floor.db');
  before(async () => {
    world.sim = await startSimulator();
    world.sim.addKmsGrant(PROJECT.id, GRANT.keyId, GRANT.grantId);
    world.token = await fetchIamToken(world.sim.url);
    world.floor = await startDurableFloorProcess(world.upstream(), world.dbFile, layers);
  });
  after(async () => {
    await world.floor.stop();
    await world.sim.close();
    rmSync(world.dir, { recursive: true, force: true });
  });
  return world;
}

describe('the durable floor of npm run bench', () => {
  const world = floorWorld();

  const records = (): { phase: string; status?: number }[] => {
    const db = new DatabaseSync(world.dbFile, { readOnly: true });
    try {
      return db
        .prepare('SELECT body FROM records ORDER BY seq')
        .all()
        .map((row) => JSON.parse(String(row.body)) as { phase: string; status?: number });
    } finally {
      db.close();
    }
  };

  it('commits an attempt, calls the cloud as Rescind would, commits the outcome, then answers', async () => {
    world.sim.clearCalls();
    const response = await fetch(`${world.floor.url}/v1/kms/keys/k/grants/g`, { method: 'DELETE' });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { result: 'revoked', upstreamStatus: 200 });
    const calls = world.sim.calls({ service: 'kms' });
    assert.equal(calls.length, 1);
    const [call] = calls;
    assert.equal(call?.method, 'POST');
    assert.equal(call.headers['x-auth-token'], world.token);
    assert.equal(world.sim.has('kmsGrant', PROJECT.id, GRANT.keyId, GRANT.grantId), false);
    assert.deepEqual(records(), [
      { phase: 'attempt', method: 'DELETE', path: '/v1/kms/keys/k/grants/g' },
      { phase: 'outcome', status: 200 },
    ]);
  });

  it("answers 502 when the cloud refuses, after committing the refusal's outcome", async () => {
    world.sim.injectFault({ service: 'kms', kind: 'status', status: 503, count: 1 });
    const response = await fetch(`${world.floor.url}/v1/kms/keys/k/grants/g`, { method: 'DELETE' });
    assert.equal(response.status, 502);
    assert.deepEqual(records().slice(2), [
      { phase: 'attempt', method: 'DELETE', path: '/v1/kms/keys/k/grants/g' },
      { phase: 'outcome', status: 503 },
    ]);
  });
});

describe('the durable floor with every layer of npm run bench:ladder', () => {
  const world = floorWorld(['express', 'proxy', 'log', 'audit']);

  it("revokes through Rescind's route, upstream module, access log and audit trail", async () => {
    const response = await fetch(`${world.floor.url}/v1/kms/keys/k/grants/g`, { method: 'DELETE' });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { result: 'revoked', upstreamStatus: 200 });
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff', 'helmet ran');
    const calls = world.sim.calls({ service: 'kms' });
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.headers['x-auth-token'], world.token);

    const db = new DatabaseSync(world.dbFile, { readOnly: true });
    const phases = db
      .prepare('SELECT phase, result FROM audit_records ORDER BY seq')
      .all()
      .map((row) => `${String(row.phase)}:${String(row.result)}`);
    db.close();
    assert.deepEqual(phases, ['attempt:null', 'outcome:revoked']);

    // The access line is written when the answer has been handed to the socket, which the
    // caller may see first.
    const logFile = `${world.dbFile}.log`;
    await eventually(
      () => readFileSync(logFile, 'utf8').includes('"msg":"request"'),
      'the access line',
    );
    const log = readFileSync(logFile, 'utf8');
    assert.match(log, /"status":200/);
    assert.ok(!log.includes(world.token.slice(0, 32)), 'the IAM token never reaches the log');
  });

  it('refuses a layer it does not know, and a log without the route that writes it', async () => {
    for (const layers of [['cache'], ['log']] as unknown as FloorLayer[][]) {
      await assert.rejects(
        startDurableFloorProcess(world.upstream(), join(world.dir, 'x.db'), layers),
        /exited before listening \(code 2/,
      );
    }
  });
});
