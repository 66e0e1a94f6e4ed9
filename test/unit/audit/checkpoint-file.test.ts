import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import {
  appendCheckpoint,
  readCheckpoints,
  signCheckpoint,
} from '../../../src/audit/chain/checkpoint.ts';
import { canonicalJson } from '../../../src/audit/chain/canonical-json.ts';
import { generateCheckpointKey } from '../../../src/audit/chain/checkpoint-key.ts';

const key = createPrivateKey(generateCheckpointKey().privateKeyPem);
const checkpoint = (seq: number) =>
  signCheckpoint({ chain: 'c', seq, hash: 'ab'.repeat(32) }, '2026-11-23T00:00:00.000Z', key);

function fileIn(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'rescind-ckpt-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return join(dir, 'audit.db.checkpoints');
}

describe('the checkpoints file after a power cut', () => {
  test('cuts off a half-written last line before appending, so the file stays readable', (t) => {
    const path = fileIn(t);
    appendCheckpoint(path, checkpoint(1));
    appendFileSync(path, canonicalJson(checkpoint(2)).slice(0, 40)); // torn mid-line
    assert.equal(readCheckpoints(path).length, 1, 'readers ignore the torn tail');

    appendCheckpoint(path, checkpoint(3));

    assert.deepEqual(
      readCheckpoints(path).map((entry) => entry.seq),
      [1, 3],
    );
    assert.ok(readFileSync(path, 'utf8').endsWith('\n'));
  });

  test('keeps a last checkpoint that only lacks its newline', (t) => {
    const path = fileIn(t);
    appendCheckpoint(path, checkpoint(1));
    appendFileSync(path, canonicalJson(checkpoint(2)));

    appendCheckpoint(path, checkpoint(3));

    assert.deepEqual(
      readCheckpoints(path).map((entry) => entry.seq),
      [1, 2, 3],
    );
  });
});
