// The witness for the tail of the trail. Someone who can write the store can cut the records and
// the checkpoints file back to an earlier checkpoint (or rewrite everything after it), and the
// chain and the checkpoints that are left still agree: plain `audit:verify` says intact. The
// checkpoint lines the gateway logged — kept by the log pipeline, off the box — catch it with
// `--witness`. Deleting the checkpoints file is caught without one, and signatures are checked
// with the configured key by default.

import assert from 'node:assert/strict';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test, type TestContext } from 'node:test';
import { generateCheckpointKey } from '../../../src/audit/chain/checkpoint-key.ts';
import { toStoredRecord } from '../../../src/audit/stored-record.ts';
import { storedRecords, tempDir } from './audit-test-kit.ts';
import { recompute } from './chain-fixture.ts';
import {
  checkpointedTrail,
  runCli,
  writeCliConfig,
  REPORT_CLI,
  VERIFY_CLI,
  type CliResult,
} from './cli-kit.ts';

function verify(args: string[], env: Record<string, string>, cli = VERIFY_CLI): Promise<CliResult> {
  return runCli(cli, args, env);
}

interface Setup {
  readonly dir: string;
  readonly database: string;
  readonly checkpoints: string;
  /** The gateway's log, as the log pipeline keeps it (pino JSON lines). */
  readonly log: string;
  readonly logLines: Record<string, unknown>[];
  readonly publicKeyPem: string;
  /** RESCIND_CONFIG and RESCIND_AUDIT_CHECKPOINT_KEY, as the gateway runs. */
  readonly env: Record<string, string>;
}

/** 12 records, checkpointed every 5: checkpoints of seq 5, 10 and (at close) 12. */
async function setUp(t: TestContext): Promise<Setup> {
  const dir = tempDir(t);
  const key = generateCheckpointKey();
  const { config, logs } = await checkpointedTrail(t, dir, key.privateKeyPem);
  const log = join(dir, 'gateway.log');
  writeFileSync(
    log,
    logs
      .lines()
      .map((line) => `${JSON.stringify(line)}\n`)
      .join(''),
  );
  const yaml = writeCliConfig(dir, config.sqlitePath);
  return {
    dir,
    database: config.sqlitePath,
    checkpoints: `${config.sqlitePath}.checkpoints`,
    log,
    logLines: logs.lines(),
    publicKeyPem: key.publicKeyPem,
    env: { RESCIND_CONFIG: yaml, RESCIND_AUDIT_CHECKPOINT_KEY: key.privateKeyPem },
  };
}

/** Keeps only the first line of the checkpoints file: the checkpoint of seq 5. */
function cutCheckpointsBackToFirst(path: string): void {
  const [first] = readFileSync(path, 'utf8').split('\n');
  writeFileSync(path, `${first ?? ''}\n`);
}

function rewriteStore(database: string, fromSeq: number, replacement: readonly unknown[]): void {
  const db = new DatabaseSync(database);
  try {
    db.exec('DROP TRIGGER audit_records_no_update; DROP TRIGGER audit_records_no_delete;');
    db.prepare('DELETE FROM audit_records WHERE seq >= ?').run(fromSeq);
    const insert = db.prepare(
      'INSERT INTO audit_records (chain, seq, id, time, request_id, phase, operation, actor, result, attempt_id, prev_hash, hash, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const record of replacement) {
      const s = toStoredRecord(record as Parameters<typeof toStoredRecord>[0]);
      insert.run(
        s.chain,
        s.seq,
        s.id,
        s.time,
        s.requestId,
        s.phase,
        s.operation,
        s.actor,
        s.result,
        s.attemptId,
        s.prevHash,
        s.hash,
        s.body,
      );
    }
  } finally {
    db.close();
  }
}

describe('the witness of the audit trail', () => {
  test('every signed checkpoint is logged as one "audit checkpoint" line', async (t) => {
    const setup = await setUp(t);
    const logged = setup.logLines.filter((line) => line.msg === 'audit checkpoint');
    assert.deepEqual(
      logged.map((line) => line.seq),
      [5, 10, 12],
    );
    const filed = readFileSync(setup.checkpoints, 'utf8').trimEnd().split('\n');
    for (const [index, line] of logged.entries()) {
      const checkpoint = JSON.parse(filed[index] ?? '{}') as Record<string, unknown>;
      for (const field of ['chain', 'seq', 'hash', 'signature', 'time', 'keyId']) {
        assert.equal(line[field], checkpoint[field], `${field} of checkpoint ${index + 1}`);
      }
    }
  });

  test('cutting records and checkpoints back to an earlier checkpoint passes plain verify and is caught by the witness', async (t) => {
    const setup = await setUp(t);
    rewriteStore(setup.database, 6, []);
    cutCheckpointsBackToFirst(setup.checkpoints);

    const plain = await verify([], setup.env);
    assert.equal(plain.code, 0, 'the cut-back trail is consistent in itself');
    assert.match(
      plain.stdout,
      /intact: 5 records in 1 chain, 1 checkpoint matched \(signatures verified\)/,
    );

    const witnessed = await verify(['--witness', setup.log], setup.env);
    assert.equal(witnessed.code, 1, witnessed.stdout);
    assert.match(
      witnessed.stderr,
      /BROKEN at seq 10 of chain test-instance: the store lacks seq 10 of chain test-instance, which the witness \(line \d+\) saw checkpointed/,
    );
  });

  test('the report of a cut-back trail reads intact without the witness and BROKEN with it', async (t) => {
    const setup = await setUp(t);
    rewriteStore(setup.database, 6, []);
    cutCheckpointsBackToFirst(setup.checkpoints);

    const plainFile = join(setup.dir, 'plain.html');
    const plain = await verify(['--out', plainFile], setup.env, REPORT_CLI);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(readFileSync(plainFile, 'utf8'), /Witness copies of the checkpoints: none given/);

    const witnessedFile = join(setup.dir, 'witnessed.html');
    const witnessed = await verify(
      ['--out', witnessedFile, '--witness', setup.log],
      setup.env,
      REPORT_CLI,
    );
    assert.equal(witnessed.code, 1, witnessed.stderr);
    const html = readFileSync(witnessedFile, 'utf8');
    assert.match(
      html,
      /The audit trail is BROKEN: the first bad record is seq 10 of chain test-instance/,
    );
    assert.match(html, /the store lacks seq 10 of chain test-instance/i);
    assert.match(html, /3 witnessed checkpoints compared with the store/);
  });

  test('rewriting everything after an earlier checkpoint passes plain verify and is caught by the witness', async (t) => {
    const setup = await setUp(t);
    const records = await storedRecords(setup.database);
    records[6] = { ...records[6]!, operation: 'scm.deleteCsr' };
    rewriteStore(setup.database, 6, recompute(records, 5).slice(5));
    cutCheckpointsBackToFirst(setup.checkpoints);

    assert.equal((await verify([], setup.env)).code, 0);
    const witnessed = await verify(['--witness', setup.log, '--json'], setup.env);
    assert.equal(witnessed.code, 1);
    const result = JSON.parse(witnessed.stdout) as { ok: boolean; firstBadSeq: number };
    assert.equal(result.ok, false);
    assert.equal(result.firstBadSeq, 10);
    assert.match(witnessed.stdout, /differs from the witnessed checkpoint/);
  });

  test('an intact trail holds every witnessed checkpoint, from a log or from NDJSON of checkpoints', async (t) => {
    const setup = await setUp(t);
    const fromLog = await verify(['--witness', setup.log], setup.env);
    assert.equal(fromLog.code, 0, fromLog.stderr);
    assert.match(fromLog.stdout, /3 witnessed checkpoints held/);
    const fromFile = await verify(['--witness', setup.checkpoints], setup.env);
    assert.equal(fromFile.code, 0, fromFile.stderr);
  });

  test('a forged witness line is refused, and a witness without checkpoint lines cannot be read', async (t) => {
    const setup = await setUp(t);
    const forged = join(setup.dir, 'forged.ndjson');
    const line = setup.logLines.find((entry) => entry.msg === 'audit checkpoint') ?? {};
    writeFileSync(forged, `${JSON.stringify({ ...line, time: '2020-01-01T00:00:00.000Z' })}\n`);
    const refused = await verify(['--witness', forged], setup.env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /no valid signature/);

    const empty = join(setup.dir, 'empty.log');
    writeFileSync(empty, '{"msg":"something else"}\nplain text\n');
    const unreadable = await verify(['--witness', empty], setup.env);
    assert.equal(unreadable.code, 2);
    assert.match(unreadable.stderr, /holds no "audit checkpoint" lines/);
  });

  test('fails when a checkpoint key is configured but the checkpoints file is missing', async (t) => {
    const setup = await setUp(t);
    unlinkSync(setup.checkpoints);
    const result = await verify([], setup.env);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /a checkpoint key is configured but the checkpoints file .* is missing/,
    );
  });

  test('checks signatures with a configured public key', async (t) => {
    const setup = await setUp(t);
    const env = { RESCIND_CONFIG: setup.env.RESCIND_CONFIG ?? '' };
    const right = await verify([], {
      ...env,
      RESCIND_AUDIT_CHECKPOINT_PUBLIC_KEY: setup.publicKeyPem,
    });
    assert.equal(right.code, 0, right.stderr);
    assert.match(right.stdout, /signatures verified/);
    const wrong = await verify([], {
      ...env,
      RESCIND_AUDIT_CHECKPOINT_PUBLIC_KEY: generateCheckpointKey().publicKeyPem,
    });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /no valid signature/);
  });
});
