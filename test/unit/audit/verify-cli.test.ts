// The verify and export CLIs, run as an operator runs them: a separate node process, configured
// by RESCIND_CONFIG and RESCIND_* variables, judged by exit code and output.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test, type TestContext } from 'node:test';
import type { AuditRecord } from '../../../src/audit/audit-record.ts';
import { generateCheckpointKey } from '../../../src/audit/chain/checkpoint-key.ts';
import { canonicalJson } from '../../../src/audit/chain/canonical-json.ts';
import { toStoredRecord } from '../../../src/audit/stored-record.ts';
import { storedRecords, tempDir } from './audit-test-kit.ts';
import { recompute } from './chain-fixture.ts';
import { checkpointedTrail, runCli, writeCliConfig, EXPORT_CLI, VERIFY_CLI } from './cli-kit.ts';

interface Setup {
  readonly dir: string;
  readonly database: string;
  readonly checkpoints: string;
  readonly publicKey: string;
  readonly env: Record<string, string>;
}

/** A gateway configuration file and an audit store of 12 records, checkpointed every 5. */
async function setUp(t: TestContext): Promise<Setup> {
  const dir = tempDir(t);
  const key = generateCheckpointKey();
  const keyFile = join(dir, 'checkpoint-key.pem');
  const publicKey = join(dir, 'checkpoint-key.pub.pem');
  writeFileSync(keyFile, key.privateKeyPem, { mode: 0o600 });
  writeFileSync(publicKey, key.publicKeyPem);
  const { config } = await checkpointedTrail(t, dir, key.privateKeyPem);
  const yaml = writeCliConfig(dir, config.sqlitePath);
  return {
    dir,
    database: config.sqlitePath,
    checkpoints: `${config.sqlitePath}.checkpoints`,
    publicKey,
    env: { RESCIND_CONFIG: yaml, RESCIND_AUDIT_CHECKPOINT_KEY_FILE: keyFile },
  };
}

/** What an attacker with write access to the file does: drop the guard, then edit. */
function tamper(database: string, sql: string, ...params: (string | number)[]): void {
  const db = new DatabaseSync(database);
  try {
    db.exec('DROP TRIGGER audit_records_no_update; DROP TRIGGER audit_records_no_delete;');
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

describe('audit:verify and audit:export', () => {
  test('exits 0 for an intact store, checked against its signed checkpoints', async (t) => {
    const setup = await setUp(t);
    const result = await runCli(VERIFY_CLI, [], setup.env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /intact: 12 records in 1 chain, 3 checkpoints matched \(signatures verified\)/,
    );
  });

  test('exits 1 naming the seq of a record edited in the database', async (t) => {
    const setup = await setUp(t);
    tamper(
      setup.database,
      'UPDATE audit_records SET body = replace(body, \'"actor":{"email":"alice@example.test"\', \'"actor":{"email":"mallory@example.test"\') WHERE seq = 7',
    );
    const result = await runCli(VERIFY_CLI, [], setup.env);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /BROKEN at seq 7 of chain test-instance: the hash of seq 7 does not match/,
    );
  });

  test('exits 1 when an index column no longer agrees with the record it indexes', async (t) => {
    const setup = await setUp(t);
    tamper(setup.database, "UPDATE audit_records SET actor = 'mallory' WHERE seq = 3");
    const result = await runCli(VERIFY_CLI, [], setup.env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /BROKEN at seq 3/);
  });

  test('exits 1 naming the seq of a deleted record', async (t) => {
    const setup = await setUp(t);
    tamper(setup.database, 'DELETE FROM audit_records WHERE seq = ?', 4);
    const result = await runCli(VERIFY_CLI, [], setup.env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /BROKEN at seq 4 .*seq 4 is missing/);
  });

  test('exits 1 naming the first missing seq when the tail was cut off before a checkpoint', async (t) => {
    const setup = await setUp(t);
    tamper(setup.database, 'DELETE FROM audit_records WHERE seq > ?', 10);
    const result = await runCli(VERIFY_CLI, [], setup.env);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /BROKEN at seq 11 .*ends at seq 10, but a checkpoint .* covers seq 12/,
    );
  });

  test('exits 1 naming the checkpointed seq when the chain was edited and recomputed', async (t) => {
    const setup = await setUp(t);
    const records = await storedRecords(setup.database);
    records[6] = { ...records[6]!, operation: 'scm.deleteCsr' };
    const rewritten = recompute(records, 6);
    const db = new DatabaseSync(setup.database);
    db.exec('DROP TRIGGER audit_records_no_update; DROP TRIGGER audit_records_no_delete;');
    db.exec('DELETE FROM audit_records WHERE seq >= 7');
    const insert = db.prepare(
      'INSERT INTO audit_records (chain, seq, id, time, request_id, phase, operation, actor, result, attempt_id, prev_hash, hash, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const record of rewritten.slice(6)) {
      const stored = toStoredRecord(record);
      insert.run(
        stored.chain,
        stored.seq,
        stored.id,
        stored.time,
        stored.requestId,
        stored.phase,
        stored.operation,
        stored.actor,
        stored.result,
        stored.attemptId,
        stored.prevHash,
        stored.hash,
        stored.body,
      );
    }
    db.close();
    const withoutCheckpoints = await runCli(VERIFY_CLI, ['--checkpoints', '/dev/null'], setup.env);
    assert.equal(withoutCheckpoints.code, 0, 'a recomputed chain is consistent in itself');
    const result = await runCli(VERIFY_CLI, [], setup.env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /BROKEN at seq 10 .*rewritten after seq 5 and at or before seq 10/);
  });

  test('exports every record as NDJSON that verifies with --file', async (t) => {
    const setup = await setUp(t);
    const exported = await runCli(EXPORT_CLI, [], setup.env);
    assert.equal(exported.code, 0, exported.stderr);
    const lines = exported.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 12);
    const first = JSON.parse(lines[0]!) as AuditRecord;
    assert.equal(lines[0], canonicalJson(first), 'each line is the canonical record');
    const file = join(setup.dir, 'export.ndjson');
    writeFileSync(file, exported.stdout);
    const result = await runCli(
      VERIFY_CLI,
      ['--file', file, '--checkpoints', setup.checkpoints, '--public-key', setup.publicKey],
      {},
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /3 checkpoints matched \(signatures verified\)/);
  });

  test('exits 1 for an export with lines reordered, inserted or removed', async (t) => {
    const setup = await setUp(t);
    const lines = (await runCli(EXPORT_CLI, [], setup.env)).stdout.trimEnd().split('\n');
    const cases: [string, string[], RegExp][] = [
      ['reordered', [...lines.slice(0, 4), lines[5]!, lines[4]!, ...lines.slice(6)], /at seq 5/],
      ['inserted', [...lines.slice(0, 4), lines[2]!, ...lines.slice(4)], /at seq 5/],
      ['removed', [...lines.slice(0, 4), ...lines.slice(5)], /at seq 5/],
    ];
    for (const [name, edited, where] of cases) {
      const file = join(setup.dir, `${name}.ndjson`);
      writeFileSync(file, `${edited.join('\n')}\n`);
      const result = await runCli(VERIFY_CLI, ['--file', file], {});
      assert.equal(result.code, 1, name);
      assert.match(result.stderr, where, name);
    }
  });

  test('exits 1 when the checkpoints were signed by another key', async (t) => {
    const setup = await setUp(t);
    const other = join(setup.dir, 'other.pub.pem');
    writeFileSync(other, generateCheckpointKey().publicKeyPem);
    const result = await runCli(VERIFY_CLI, ['--public-key', other], setup.env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no valid signature/);
  });

  test('exits 2 when it cannot read: missing export, missing database, bad key, bad flag', async (t) => {
    const setup = await setUp(t);
    const garbage = join(setup.dir, 'garbage.pem');
    writeFileSync(garbage, 'not a key');
    const missingDb = join(setup.dir, 'missing.yaml');
    writeFileSync(
      missingDb,
      readFileSync(setup.env.RESCIND_CONFIG!, 'utf8').replace(
        setup.database,
        join(setup.dir, 'gone.db'),
      ),
    );
    const cases: [string, string[], Record<string, string>][] = [
      ['missing export', ['--file', join(setup.dir, 'nope.ndjson')], {}],
      ['missing database', [], { RESCIND_CONFIG: missingDb }],
      ['bad public key', ['--public-key', garbage], setup.env],
      ['missing checkpoints', ['--checkpoints', join(setup.dir, 'nope')], setup.env],
      ['unknown flag', ['--frobnicate'], setup.env],
    ];
    for (const [name, args, env] of cases) {
      const result = await runCli(VERIFY_CLI, args, env);
      assert.equal(result.code, 2, `${name}: ${result.stderr}`);
    }
    const exported = await runCli(EXPORT_CLI, [], { RESCIND_CONFIG: missingDb });
    assert.equal(exported.code, 2);
  });
});
