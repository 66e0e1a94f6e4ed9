import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { checkpointSignatureValid, readCheckpoints } from '../../../src/audit/chain/checkpoint.ts';
import { checkpointKeyId, generateCheckpointKey } from '../../../src/audit/chain/checkpoint-key.ts';
import { verifyChain } from '../../../src/audit/chain/verify-chain.ts';
import {
  auditConfig,
  openTestTrail,
  sampleEvent,
  storedRecords,
  tempDir,
} from './audit-test-kit.ts';

const key = generateCheckpointKey();
const publicKey = createPublicKey(key.publicKeyPem);

describe('audit checkpoints', () => {
  test('generates an Ed25519 key pair as PEM', () => {
    assert.match(key.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
    assert.match(key.publicKeyPem, /^-----BEGIN PUBLIC KEY-----/);
    assert.equal(publicKey.asymmetricKeyType, 'ed25519');
    assert.match(checkpointKeyId(publicKey), /^[0-9a-f]{16}$/);
  });

  test('signs the head every N records and at close; the chain verifies against them', async (t) => {
    const config = auditConfig(tempDir(t), {
      checkpoints: { everyRecords: 10, signingKey: key.privateKeyPem },
    });
    const { trail } = await openTestTrail(t, config);
    for (let index = 0; index < 25; index += 1) {
      await trail.recordAttempt(sampleEvent({ requestId: `r-${index}` }));
    }
    const path = `${config.sqlitePath}.checkpoints`;
    assert.deepEqual(
      readCheckpoints(path).map((checkpoint) => checkpoint.seq),
      [10, 20],
    );
    await trail.close();
    const checkpoints = readCheckpoints(path);
    assert.deepEqual(
      checkpoints.map((checkpoint) => checkpoint.seq),
      [10, 20, 25],
    );
    for (const checkpoint of checkpoints) {
      assert.equal(checkpoint.chain, 'test-instance');
      assert.equal(checkpoint.keyId, checkpointKeyId(publicKey));
      assert.match(checkpoint.time, /Z$/);
      assert.equal(checkpointSignatureValid(checkpoint, [publicKey]), true);
    }
    const result = await verifyChain(await storedRecords(config.sqlitePath), {
      checkpoints,
      publicKey,
    });
    assert.equal(result.ok, true, result.reason);
    assert.equal(result.checkpoints, 3);
  });

  test('signs the head every intervalSeconds while it moves, not while idle', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const config = auditConfig(tempDir(t), {
      checkpoints: { intervalSeconds: 60, everyRecords: 1000, signingKey: key.privateKeyPem },
    });
    const { trail, metrics } = await openTestTrail(t, config);
    const path = `${config.sqlitePath}.checkpoints`;
    await trail.recordAttempt(sampleEvent());
    await trail.recordAttempt(sampleEvent());
    t.mock.timers.tick(60_000);
    assert.deepEqual(
      readCheckpoints(path).map((checkpoint) => checkpoint.seq),
      [2],
    );
    const age = await metrics.auditCheckpointAge.get();
    assert.equal(age.values[0]?.value, 0, 'the head is covered');
    t.mock.timers.tick(60_000);
    assert.equal(readCheckpoints(path).length, 1, 'no new checkpoint while nothing happened');
    await trail.recordAttempt(sampleEvent());
    t.mock.timers.tick(60_000);
    assert.deepEqual(
      readCheckpoints(path).map((checkpoint) => checkpoint.seq),
      [2, 3],
    );
  });

  test('writes no checkpoints without a signing key', async (t) => {
    const config = auditConfig(tempDir(t), { checkpoints: { everyRecords: 1 } });
    const { trail } = await openTestTrail(t, config);
    await trail.recordAttempt(sampleEvent());
    await trail.close();
    assert.equal(existsSync(`${config.sqlitePath}.checkpoints`), false);
    assert.equal(trail.stats().checkpointsWritten, 0);
  });

  test('continues checkpointing the same chain after a restart', async (t) => {
    const config = auditConfig(tempDir(t), {
      checkpoints: { everyRecords: 2, signingKey: key.privateKeyPem },
    });
    const first = await openTestTrail(t, config);
    for (let index = 0; index < 3; index += 1) await first.trail.recordAttempt(sampleEvent());
    await first.trail.close();
    // The restart closes the three open attempts (4–6, one commit), then one more record.
    const second = await openTestTrail(t, config);
    await second.trail.recordAttempt(sampleEvent());
    await second.trail.close();
    const checkpoints = readCheckpoints(`${config.sqlitePath}.checkpoints`);
    assert.deepEqual(
      checkpoints.map((checkpoint) => checkpoint.seq),
      [2, 3, 6, 7],
    );
    const result = await verifyChain(await storedRecords(config.sqlitePath), {
      checkpoints,
      publicKey,
    });
    assert.equal(result.ok, true, result.reason);
  });
});
