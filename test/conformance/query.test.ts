// Reading the trail on every store: keyset pages on (chain, seq) that never skip or repeat a
// record while two instances append to their chains in the same store, and a stream that
// returns every match beyond one batch.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditRecord } from '../../src/audit/audit-record.ts';
import { AUDIT_STREAM_BATCH } from '../../src/audit/audit-reader.ts';
import { openTestTrail, sampleEvent, sampleOutcome } from '../unit/audit/audit-test-kit.ts';
import { describeEachStore } from './store-kits.ts';

describeEachStore(
  (kit) => `${kit.name} audit queries`,
  (kit) => {
    test('pages without gaps or duplicates while two instances append to the same store', async (t) => {
      const shared = await kit.config(t);
      const a = await openTestTrail(t, { ...shared, instanceId: 'a' });
      const b = await openTestTrail(t, { ...shared, instanceId: 'b' });
      for (let index = 0; index < 30; index += 1) {
        await a.trail.recordAttempt(sampleEvent({ requestId: `a-before-${index}` }));
        await b.trail.recordAttempt(sampleEvent({ requestId: `b-before-${index}` }));
      }

      // Both instances keep appending, concurrently, while a client pages through.
      let writing = true;
      const writer = async (trail: typeof a.trail, name: string) => {
        let written = 0;
        while (writing) {
          await Promise.all(
            Array.from({ length: 5 }, () =>
              trail.recordAttempt(sampleEvent({ requestId: `${name}-during-${written++}` })),
            ),
          );
        }
        return written;
      };
      const writers = Promise.all([writer(a.trail, 'a'), writer(b.trail, 'b')]);

      const seen: AuditRecord[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 200; pages += 1) {
        const page = await a.trail.reader.page({
          limit: 4,
          ...(cursor !== undefined ? { cursor } : {}),
        });
        seen.push(...page.items);
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      writing = false;
      const [writtenA, writtenB] = await writers;
      t.diagnostic(`appended while paging: a ${writtenA}, b ${writtenB}; seen ${seen.length}`);

      const keys = seen.map((record) => `${record.chain}#${record.seq}`);
      assert.equal(new Set(keys).size, keys.length, 'no record twice');
      for (const chain of ['a', 'b']) {
        const seqs = seen.filter((record) => record.chain === chain).map((record) => record.seq);
        assert.deepEqual(
          seqs,
          seqs.map((_seq, index) => index + 1),
          `chain ${chain}: no gap`,
        );
        assert.ok(seqs.length >= 30, `chain ${chain}: every record present at the start was seen`);
      }
      assert.deepEqual(
        [...new Set(seen.map((record) => record.chain))],
        ['a', 'b'],
        'chains in order',
      );
    });

    test('streams every match beyond one batch, in order', async (t) => {
      const { trail } = await openTestTrail(t, await kit.config(t));
      const total = AUDIT_STREAM_BATCH * 2 + 50;
      await Promise.all(
        Array.from({ length: total }, (_, index) =>
          index % 2 === 0
            ? trail.recordAttempt(sampleEvent({ requestId: `even-${index}` }))
            : trail.recordOutcome(sampleEvent({ requestId: `odd-${index}` }), sampleOutcome()),
        ),
      );
      const seqs: number[] = [];
      for await (const record of trail.reader.stream({ result: 'revoked' })) {
        assert.equal(record.outcome?.result, 'revoked');
        seqs.push(record.seq);
      }
      assert.equal(seqs.length, total / 2);
      assert.deepEqual(
        seqs,
        [...seqs].sort((x, y) => x - y),
      );
    });
  },
);
