// The progress line of the long audit commands: on a terminal it shows records done, rate and
// time left and is cleared at the end; anywhere else it writes nothing at all.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { GENESIS_HASH } from '../../../src/audit/audit-record.ts';
import {
  countStoreRecords,
  fileProgress,
  storeProgress,
} from '../../../src/audit/cli/audit-progress.ts';
import { canonicalJson } from '../../../src/audit/chain/canonical-json.ts';
import { createProgress, progressLine, withProgress } from '../../../src/audit/cli/progress.ts';
import { readNdjson } from '../../../src/audit/cli/read-ndjson.ts';
import { openSqliteAuditStore } from '../../../src/audit/stores/sqlite-audit-store.ts';
import { toStoredRecord } from '../../../src/audit/stored-record.ts';
import { defer, tempDir } from './audit-test-kit.ts';
import { buildChain } from './chain-fixture.ts';

const run = promisify(execFile);

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return {
    isTTY,
    writes,
    write(text: string) {
      writes.push(text);
      return true;
    },
  };
}

async function* countTo(n: number): AsyncGenerator<number> {
  for (let index = 1; index <= n; index += 1) yield await Promise.resolve(index);
}

async function drain<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

describe('progress line', () => {
  test('on a terminal: records, rate and time left, redrawn in place, cleared at the end', () => {
    const stream = fakeStream(true);
    let now = 1000;
    const progress = createProgress({ stream, clock: () => now, label: 'audit:verify' });
    now += 2000;
    progress.update(70_000, 0.25);
    assert.deepEqual(stream.writes, [
      '\r\u001b[2Kaudit:verify: 70,000 records, 35,000/s, 6 s left',
    ]);
    now += 100; // within the redraw interval: not drawn again
    progress.update(71_000, 0.26);
    assert.equal(stream.writes.length, 1);
    now += 400;
    progress.update(80_000, 0.5);
    assert.match(stream.writes[1] ?? '', /80,000 records, 32,000\/s, 3 s left$/);
    progress.done();
    assert.equal(stream.writes.at(-1), '\r\u001b[2K', 'the line is cleared');
  });

  test('a command that ends within the first interval shows no line at all', () => {
    const stream = fakeStream(true);
    let now = 0;
    const progress = createProgress({ stream, clock: () => now, label: 'audit:verify' });
    for (let records = 1; records <= 100; records += 1) {
      now += 2;
      progress.update(records, records / 100);
    }
    progress.done();
    assert.deepEqual(stream.writes, []);
  });

  test('not a terminal: nothing is written, whatever happens', async () => {
    const stream = fakeStream(false);
    let now = 0;
    const progress = createProgress({ stream, clock: () => (now += 1000), label: 'audit:export' });
    assert.equal(progress.active, false);
    assert.deepEqual(await drain(withProgress(countTo(50), progress, () => 0.5)), [
      ...Array.from({ length: 50 }, (_v, index) => index + 1),
    ]);
    progress.done();
    assert.deepEqual(stream.writes, []);
  });

  test('time left is left out while the whole is unknown, and long waits read in minutes', () => {
    assert.equal(progressLine('audit:export', 5, 0), 'audit:export: 5 records');
    assert.equal(progressLine('audit:export', 500, 10), 'audit:export: 500 records, 50/s');
    assert.equal(
      progressLine('audit:report', 1_000, 100, 0.1),
      'audit:report: 1,000 records, 10/s, 15 min 0 s left',
    );
    assert.equal(
      progressLine('audit:report', 1, 3600, 0.25),
      'audit:report: 1 record, 0/s, 3 h 0 min left',
    );
  });

  test('withProgress counts every item and clears the line when the reader stops early', async () => {
    const stream = fakeStream(true);
    let now = 0;
    const progress = createProgress({
      stream,
      clock: () => (now += 300),
      label: 'audit:verify',
    });
    for await (const item of withProgress(countTo(10), progress, (count) => count / 10)) {
      if (item === 4) break;
    }
    assert.match(stream.writes.join(''), /4 records/);
    assert.equal(stream.writes.at(-1), '\r\u001b[2K');
  });
});

describe('progress sources', () => {
  test('a store counts its records over every chain, and the line tells the time left', async (t) => {
    const dir = tempDir(t);
    const store = openSqliteAuditStore({ path: join(dir, 'audit.db') });
    defer(t, () => store.close());
    await store.append('a', { seq: 0, hash: GENESIS_HASH }, buildChain('a', 7).map(toStoredRecord));
    await store.append('b', { seq: 0, hash: GENESIS_HASH }, buildChain('b', 5).map(toStoredRecord));
    assert.equal(await countStoreRecords(store), 12);

    const stream = fakeStream(true);
    let now = 0;
    const clock = () => (now += 300);
    const items = await drain(storeProgress('audit:export', store, countTo(12), { stream, clock }));
    assert.equal(items.length, 12);
    // 1 of 12 records after 0.3 s: 11 more take 3.3 s.
    assert.equal(stream.writes[0], '\r\u001b[2Kaudit:export: 1 record, 3/s, 4 s left');
    assert.match(stream.writes.at(-2) ?? '', /12 records, 3\/s, 0 s left$/);
    assert.equal(stream.writes.at(-1), '\r\u001b[2K');
  });

  test('an empty store counts 0', async (t) => {
    const store = openSqliteAuditStore({ path: join(tempDir(t), 'audit.db') });
    defer(t, () => store.close());
    assert.equal(await countStoreRecords(store), 0);
  });

  test('an NDJSON file estimates its time left from its size in bytes', async (t) => {
    const file = join(tempDir(t), 'export.ndjson');
    const chain = buildChain('a', 200);
    writeFileSync(file, chain.map((record) => `${canonicalJson(record)}\n`).join(''));
    const stream = fakeStream(true);
    let now = 0;
    const clock = () => (now += 300);
    const items = await drain(
      fileProgress('audit:verify', file, readNdjson(file), { stream, clock }),
    );
    assert.equal(items.length, 200);
    // Lines differ by a few bytes, so the estimate is close to 1 of 200: 199 × 0.3 s left.
    assert.match(stream.writes[0] ?? '', /audit:verify: 1 record, 3\/s, (59 s|1 min [01] s) left$/);
    assert.match(stream.writes.at(-2) ?? '', /200 records, 3\/s, [01] s left$/);

    const quiet = fakeStream(false);
    assert.equal(
      (await drain(fileProgress('audit:verify', file, readNdjson(file), { stream: quiet }))).length,
      200,
    );
    assert.deepEqual(quiet.writes, []);
  });
});

describe('on a real terminal', () => {
  const fixture = new URL('../../fixtures/audit/progress-on-terminal.ts', import.meta.url).pathname;

  function exportOf(t: TestContext, records: number): string {
    const file = join(tempDir(t), 'export.ndjson');
    writeFileSync(
      file,
      buildChain('a', records)
        .map((r) => `${canonicalJson(r)}\n`)
        .join(''),
    );
    return file;
  }

  test('stderr on a terminal shows the line, redrawn in place and cleared at the end', async (t) => {
    const file = exportOf(t, 12);
    // `script` runs the command on a pseudo-terminal and copies what it wrote to our stdout.
    const { stdout: raw } = await run('script', [
      '-qec',
      `${process.execPath} ${fixture} ${file}`,
      '/dev/null',
    ]);
    const stdout = raw.replaceAll('\u001b[2K', '<clear>');
    assert.match(stdout, /\r<clear>audit:verify: \d+ records, \d+\/s, \d+ s left/);
    assert.match(stdout, /\r<clear>read 12\r?\n/, 'cleared before the next output');
  });

  test('with pipes, nothing but the output itself', async (t) => {
    const file = exportOf(t, 12);
    const { stdout, stderr } = await run(process.execPath, [fixture, file]);
    assert.equal(stdout, 'read 12\n');
    assert.equal(stderr, '');
  });
});
