// The AuditStore contract, asserted alike against every store: appends in one transaction that
// come back byte for byte in (chain, seq) order, a head check that writes nothing on conflict,
// the open-attempts index, filters and keyset pages, and records the database itself refuses to
// change.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GENESIS_HASH, type AuditRecord } from '../../src/audit/audit-record.ts';
import { AuditStoreError, type ChainHead, type StoredRecord } from '../../src/audit/audit-store.ts';
import { buildAuditRecordContent } from '../../src/audit/build-audit-record.ts';
import { sealRecord } from '../../src/audit/chain/seal-record.ts';
import { toStoredRecord } from '../../src/audit/stored-record.ts';
import { sampleEvent, sampleOutcome } from '../unit/audit/audit-test-kit.ts';
import { describeEachStore } from './store-kits.ts';

const START = Date.UTC(2025, 0, 1);

interface Batch {
  readonly stored: StoredRecord[];
  readonly head: ChainHead;
}

/** `count` sealed records of `chain` after `after`; record n at START + n seconds. */
function batch(
  chain: string,
  after: ChainHead,
  count: number,
  make: (seq: number) => Partial<Parameters<typeof buildAuditRecordContent>[0]> = () => ({}),
): Batch {
  const sealed: AuditRecord[] = [];
  let previous = after;
  for (let index = 0; index < count; index += 1) {
    const seq = previous.seq + 1;
    const record = sealRecord(
      buildAuditRecordContent({
        id: crypto.randomUUID(),
        time: new Date(START + seq * 1000).toISOString(),
        phase: 'attempt',
        event: sampleEvent({ requestId: `${chain}-${seq}` }),
        ...make(seq),
      }),
      chain,
      seq,
      previous.hash,
    );
    sealed.push(record);
    previous = { seq: record.seq, hash: record.hash };
  }
  return { stored: sealed.map(toStoredRecord), head: previous };
}

const EMPTY: ChainHead = { seq: 0, hash: GENESIS_HASH };

function keys(records: readonly StoredRecord[]): string[] {
  return records.map((record) => `${record.chain}#${record.seq}`);
}

describeEachStore(
  (kit) => `${kit.name} audit store contract`,
  (kit) => {
    test('appends in one transaction and returns records byte for byte in (chain, seq) order', async (t) => {
      const store = await kit.open(t, await kit.config(t));
      const b = batch('b', EMPTY, 2);
      const a = batch('a', EMPTY, 3);
      const upper = batch('B', EMPTY, 1);
      await store.append('b', EMPTY, b.stored);
      await store.append('a', EMPTY, a.stored);
      await store.append('B', EMPTY, upper.stored);
      assert.deepEqual(await store.head('a'), a.head);
      assert.equal(await store.head('nobody'), null);
      const all = await store.query({ limit: 100 });
      // Byte order, as in SQLite: 'B' sorts before 'a' whatever the database's collation.
      assert.deepEqual(keys(all), ['B#1', 'a#1', 'a#2', 'a#3', 'b#1', 'b#2']);
      assert.deepEqual(all[1], a.stored[0], 'the stored record comes back unchanged');
      assert.deepEqual(
        all.map((record) => record.body),
        [...upper.stored, ...a.stored, ...b.stored].map((record) => record.body),
      );
    });

    test('writes nothing and says conflict when the chain head is not the one expected', async (t) => {
      const store = await kit.open(t, await kit.config(t));
      const first = batch('a', EMPTY, 2);
      await store.append('a', EMPTY, first.stored);
      const stale = batch('a', EMPTY, 1);
      await assert.rejects(
        store.append('a', EMPTY, stale.stored),
        (error: unknown) => error instanceof AuditStoreError && error.kind === 'conflict',
      );
      const forged = batch('a', { seq: 2, hash: 'f'.repeat(64) }, 1);
      await assert.rejects(
        store.append('a', { seq: 2, hash: 'f'.repeat(64) }, forged.stored),
        (error: unknown) => error instanceof AuditStoreError && error.kind === 'conflict',
      );
      assert.deepEqual(keys(await store.query({ limit: 10 })), ['a#1', 'a#2']);
      assert.deepEqual(await store.head('a'), first.head);
    });

    test('lists the attempts no outcome names, also when both arrive in one batch', async (t) => {
      const store = await kit.open(t, await kit.config(t));
      const attempts = batch('a', EMPTY, 3);
      await store.append('a', EMPTY, attempts.stored);
      const closed = attempts.stored[1]!;
      const closing = batch('a', attempts.head, 1, () => ({
        phase: 'outcome',
        outcome: { ...sampleOutcome(), attemptId: closed.id },
      }));
      await store.append('a', attempts.head, closing.stored);
      // An attempt and the outcome that closes it, in the same transaction.
      const pairAttempt = batch('a', closing.head, 1);
      const pairOutcome = batch('a', pairAttempt.head, 1, () => ({
        phase: 'outcome',
        outcome: { ...sampleOutcome(), attemptId: pairAttempt.stored[0]!.id },
      }));
      await store.append('a', closing.head, [...pairAttempt.stored, ...pairOutcome.stored]);
      assert.deepEqual(
        (await store.dangling('a')).map((record) => record.seq),
        [1, 3],
      );
      assert.deepEqual(await store.dangling('b'), []);
      assert.equal((await store.dangling('a'))[0]?.body, attempts.stored[0]?.body);
    });

    test('filters by chain, operation, actor, result, request id and time, and pages by key', async (t) => {
      const store = await kit.open(t, await kit.config(t));
      const records = batch('a', EMPTY, 6, (seq) =>
        seq % 2 === 0
          ? {
              phase: 'outcome',
              outcome: sampleOutcome({ result: seq === 4 ? 'failed' : 'revoked' }),
              event: sampleEvent({
                requestId: `r-${seq}`,
                actor: { subject: 'bob', email: null, groups: [], via: 'jwt' },
                operation: 'scm.deleteCsr',
              }),
            }
          : {},
      );
      await store.append('a', EMPTY, records.stored);
      await store.append('z', EMPTY, batch('z', EMPTY, 2).stored);
      const seqs = async (query: Parameters<typeof store.query>[0]) =>
        keys(await store.query(query));
      assert.deepEqual(await seqs({ limit: 100, chain: 'z' }), ['z#1', 'z#2']);
      assert.deepEqual(await seqs({ limit: 100, operation: 'scm.deleteCsr' }), [
        'a#2',
        'a#4',
        'a#6',
      ]);
      assert.deepEqual(await seqs({ limit: 100, actor: 'bob', result: 'failed' }), ['a#4']);
      assert.deepEqual(await seqs({ limit: 100, requestId: 'r-6' }), ['a#6']);
      const at = (seq: number) => new Date(START + seq * 1000).toISOString();
      assert.deepEqual(await seqs({ limit: 100, chain: 'a', since: at(2), until: at(4) }), [
        'a#2',
        'a#3',
      ]);
      assert.deepEqual(await seqs({ limit: 3, after: { chain: 'a', seq: 5 } }), [
        'a#6',
        'z#1',
        'z#2',
      ]);
      assert.deepEqual(await seqs({ limit: 2 }), ['a#1', 'a#2']);
    });

    test('refuses to change records through the database itself', async (t) => {
      const config = await kit.config(t);
      const store = await kit.open(t, config);
      const records = batch('a', EMPTY, 2);
      await store.append('a', EMPTY, records.stored);
      const errors = await kit.tryToChange(config);
      assert.ok(errors.length >= 2);
      for (const error of errors) assert.match(error, /append-only/);
      assert.deepEqual(await store.query({ limit: 10 }), records.stored);
    });

    test('opens read-only without writing, and refuses appends there', async (t) => {
      const config = await kit.config(t);
      const writer = await kit.open(t, config);
      await writer.append('a', EMPTY, batch('a', EMPTY, 2).stored);
      const reader = await kit.open(t, config, { readOnly: true });
      assert.equal((await reader.query({ limit: 10 })).length, 2);
      await assert.rejects(
        reader.append('a', { seq: 2, hash: GENESIS_HASH }, []),
        (error: unknown) => error instanceof AuditStoreError,
      );
      assert.deepEqual(reader.health(), { ok: true });
    });
  },
);
