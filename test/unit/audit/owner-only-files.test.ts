// Audit files are owner-only whatever the umask the gateway was started with: a review found
// the trail world-readable and world-writable under umask 0000.

import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { generateCheckpointKey } from '../../../src/audit/chain/checkpoint-key.ts';
import { auditConfig, openTestTrail, recordRequest, tempDir } from './audit-test-kit.ts';

const modeOf = (path: string): string => (statSync(path).mode & 0o777).toString(8);

function permissiveUmask(t: TestContext): void {
  const previous = process.umask(0o000);
  t.after(() => {
    process.umask(previous);
  });
}

async function writeAndCheckpoint(t: TestContext, config: ReturnType<typeof auditConfig>) {
  const { trail } = await openTestTrail(t, config);
  await recordRequest(trail);
  return trail;
}

describe('audit files are owner-only', () => {
  for (const sqliteWorker of [true, false]) {
    test(`under umask 0000 the directory is 0700 and the database, WAL, SHM and checkpoints 0600 (worker: ${String(sqliteWorker)})`, async (t) => {
      permissiveUmask(t);
      const dir = join(tempDir(t), 'nested', 'audit');
      const config = auditConfig(dir, {
        sqliteWorker,
        checkpoints: { everyRecords: 1, signingKey: generateCheckpointKey().privateKeyPem },
      });
      const trail = await writeAndCheckpoint(t, config);
      const db = config.sqlitePath;
      // While the store is open: WAL and SHM exist.
      assert.equal(modeOf(dir), '700');
      for (const path of [db, `${db}-wal`, `${db}-shm`, `${db}.checkpoints`]) {
        assert.equal(modeOf(path), '600', path);
      }
      await trail.close();
      assert.equal(modeOf(`${db}.checkpoints`), '600');
    });
  }

  test('files an earlier run left readable by others are tightened when the store opens', async (t) => {
    permissiveUmask(t);
    const dir = tempDir(t);
    const key = generateCheckpointKey().privateKeyPem;
    const config = auditConfig(dir, { checkpoints: { everyRecords: 1, signingKey: key } });
    const first = await writeAndCheckpoint(t, config);
    await first.close();
    const db = config.sqlitePath;
    for (const path of [db, `${db}.checkpoints`]) chmodSync(path, 0o666);

    const second = await writeAndCheckpoint(t, config);
    for (const path of [db, `${db}-wal`, `${db}-shm`, `${db}.checkpoints`]) {
      assert.equal(modeOf(path), '600', path);
    }
    await second.close();
  });

  test('an existing directory is left as the operator made it', async (t) => {
    permissiveUmask(t);
    const dir = join(tempDir(t), 'shared');
    mkdirSync(dir, { mode: 0o755 });
    writeFileSync(join(dir, 'README'), 'volume');
    const trail = await writeAndCheckpoint(t, auditConfig(dir));
    assert.equal(modeOf(dir), '755');
    assert.equal(modeOf(join(dir, 'audit.db')), '600');
    await trail.close();
  });
});
