import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, test } from 'node:test';
import type { AuditRecord } from '../../../src/audit/audit-record.ts';
import { generateCheckpointKey } from '../../../src/audit/chain/checkpoint-key.ts';
import { sealRecord } from '../../../src/audit/chain/seal-record.ts';
import { verifyChain } from '../../../src/audit/chain/verify-chain.ts';
import { buildChain, checkpointsOf, recompute } from './chain-fixture.ts';

const pair = generateCheckpointKey();
const privateKey = createPrivateKey(pair.privateKeyPem);
const publicKey = createPublicKey(pair.publicKeyPem);

function withTwelve(): AuditRecord[] {
  return buildChain('gw-1', 12);
}

async function assertBroken(
  records: Iterable<unknown> | AsyncIterable<unknown>,
  seq: number,
  reason: RegExp,
  options: Parameters<typeof verifyChain>[1] = {},
) {
  const result = await verifyChain(records, options);
  assert.equal(result.ok, false, 'the chain is reported broken');
  assert.equal(result.firstBadSeq, seq, result.reason);
  assert.match(result.reason, reason);
}

describe('verifyChain', () => {
  test('accepts an intact chain, from an array or a stream', async () => {
    const records = withTwelve();
    const result = await verifyChain(records);
    assert.deepEqual(
      { ok: result.ok, records: result.records, chains: result.chains.length },
      { ok: true, records: 12, chains: 1 },
    );
    async function* stream() {
      for (const record of records) yield await Promise.resolve(record);
    }
    assert.equal((await verifyChain(stream())).ok, true);
  });

  test('accepts several chains interleaved, as an export of a shared store lists them', async () => {
    const a = buildChain('a', 5);
    const b = buildChain('b', 5);
    const interleaved = a.flatMap((record, index) => [record, b[index]]);
    const result = await verifyChain(interleaved);
    assert.equal(result.ok, true, result.reason);
    assert.deepEqual(
      result.chains.map((chain) => [chain.chain, chain.headSeq]),
      [
        ['a', 5],
        ['b', 5],
      ],
    );
  });

  test('names the seq of an edited record', async () => {
    const records = withTwelve();
    records[4] = { ...records[4]!, operation: 'scm.deleteCsr' };
    await assertBroken(records, 5, /hash of seq 5 does not match its content/);
  });

  test('names the seq after an edited record whose own hash was recomputed', async () => {
    const records = withTwelve();
    const { chain, seq, prevHash, hash: _hash, ...content } = records[4]!;
    records[4] = sealRecord({ ...content, operation: 'scm.deleteCsr' }, chain, seq, prevHash);
    await assertBroken(records, 6, /prevHash of seq 6/);
  });

  test('names the seq of a removed record', async () => {
    const records = withTwelve();
    records.splice(4, 1);
    await assertBroken(records, 5, /seq 5 is missing/);
  });

  test('names the seq where a record was inserted', async () => {
    const records = withTwelve();
    records.splice(4, 0, { ...records[4]!, id: '00000000-0000-4000-8000-000000000000' });
    await assertBroken(records, 5, /hash of seq 5 does not match/);
  });

  test('names the seq where records were reordered', async () => {
    const records = withTwelve();
    [records[4], records[5]] = [records[5]!, records[4]!];
    await assertBroken(records, 5, /seq 6 appears where seq 5 belongs/);
  });

  test('does not notice a tail cut off or a chain recomputed — without checkpoints', async () => {
    assert.equal((await verifyChain(withTwelve().slice(0, 9))).ok, true);
    const rewritten = withTwelve();
    rewritten[4] = { ...rewritten[4]!, operation: 'scm.deleteCsr' };
    assert.equal((await verifyChain(recompute(rewritten, 4))).ok, true);
  });

  test('names the first missing seq when the chain ends before a signed checkpoint', async () => {
    const records = withTwelve();
    const checkpoints = checkpointsOf(records, 5, privateKey);
    await assertBroken(
      records.slice(0, 9),
      10,
      /ends at seq 9, but a checkpoint .* covers seq 12/,
      {
        checkpoints,
        publicKey,
      },
    );
    await assertBroken([], 1, /ends at seq 0/, { checkpoints, publicKey });
  });

  test('names the checkpointed seq whose hash differs when a chain was recomputed', async () => {
    const records = withTwelve();
    const checkpoints = checkpointsOf(records, 5, privateKey);
    records[6] = { ...records[6]!, operation: 'scm.deleteCsr' };
    await assertBroken(recompute(records, 6), 10, /rewritten after seq 5 and at or before seq 10/, {
      checkpoints,
      publicKey,
    });
  });

  test('a recomputed chain with a forged checkpoint fails on the signature', async () => {
    const records = withTwelve();
    records[6] = { ...records[6]!, operation: 'scm.deleteCsr' };
    const rewritten = recompute(records, 6);
    const attacker = createPrivateKey(generateCheckpointKey().privateKeyPem);
    const forged = checkpointsOf(rewritten, 5, attacker);
    await assertBroken(rewritten, 5, /no valid signature/, { checkpoints: forged, publicKey });
    // Without a key to check against, checkpoints are only as good as their file.
    assert.equal((await verifyChain(rewritten, { checkpoints: forged })).ok, true);
  });

  test('accepts checkpoints signed by any of several keys (rotation)', async () => {
    const records = withTwelve();
    const older = generateCheckpointKey();
    const checkpoints = [
      ...checkpointsOf(records.slice(0, 5), 5, createPrivateKey(older.privateKeyPem)),
      ...checkpointsOf(records, 10, privateKey).slice(1),
    ];
    const result = await verifyChain(records, {
      checkpoints,
      publicKey: [createPublicKey(older.publicKeyPem), publicKey],
    });
    assert.equal(result.ok, true, result.reason);
    assert.equal(result.checkpoints, 2);
  });

  test('reports items that are not records', async () => {
    const result = await verifyChain([...withTwelve().slice(0, 2), { line: 3, unreadable: true }]);
    assert.equal(result.ok, false);
    assert.match(result.reason, /item 3 is not an audit record/);
  });
});
