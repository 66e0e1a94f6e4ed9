// The ID-token file (docs/credentials.md "Workload identity") is read for every exchange; one
// that cannot be read, or holds no token, leaves the caller with 503 UPSTREAM_UNAVAILABLE.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readIdToken } from '../../../src/iam/exchange-id-token.ts';
import { ProblemError } from '../../../src/problems/problem-error.ts';

test('the ID-token file is read fresh each time, trimmed, and refused when missing or empty', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rescind-idt-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const file = join(dir, 'token');
  writeFileSync(file, 'eyJ.first.sig\n');
  assert.equal(await readIdToken(file), 'eyJ.first.sig');
  writeFileSync(file, 'eyJ.second.sig');
  assert.equal(await readIdToken(file), 'eyJ.second.sig');
  const unavailable = (error: unknown) =>
    error instanceof ProblemError &&
    error.code === 'UPSTREAM_UNAVAILABLE' &&
    error.upstream?.service === 'iam' &&
    !JSON.stringify(error).includes(dir);
  writeFileSync(file, '  \n');
  await assert.rejects(readIdToken(file), unavailable);
  writeFileSync(file, 'two words');
  await assert.rejects(readIdToken(file), unavailable);
  rmSync(file);
  await assert.rejects(readIdToken(file), unavailable);
});
