// Signed checkpoints on every store: written every N records and at close, held against the
// store by `audit:verify` (run as an operator runs it) and by the trail at start-up, so that
// records removed behind the append-only triggers' back are caught.

import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { readCheckpoints } from '../../src/audit/chain/checkpoint.ts';
import { openAuditTrail } from '../../src/audit/open-audit-trail.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { Registry } from 'prom-client';
import { logSink, openTestTrail, sampleEvent, tempDir } from '../unit/audit/audit-test-kit.ts';
import { runCli, VERIFY_CLI, type CliResult } from '../unit/audit/cli-kit.ts';
import {
  checkpointedConfig,
  describeEachStore,
  type AuditConfig,
  type StoreKit,
} from './store-kits.ts';

function verify(kit: StoreKit, t: TestContext, config: AuditConfig): Promise<CliResult> {
  return runCli(VERIFY_CLI, [], kit.cliEnv(config, tempDir(t)));
}

/** A store of 12 records, checkpointed every 5 records and at close. */
async function checkpointedStore(kit: StoreKit, t: TestContext): Promise<AuditConfig> {
  const config = await checkpointedConfig(kit, t);
  const { trail } = await openTestTrail(t, config);
  for (let index = 0; index < 12; index += 1) {
    await trail.recordAttempt(sampleEvent({ requestId: `r-${index + 1}` }));
  }
  await trail.close();
  return config;
}

function openFails(config: AuditConfig): Promise<void> {
  return assert.rejects(
    openAuditTrail({
      config,
      metrics: createMetrics(new Registry(), { process: false }),
      logger: logSink().logger,
    }),
    /does not hold the record of chain test-instance signed by the last checkpoint/,
  );
}

describeEachStore(
  (kit) => `${kit.name} audit checkpoints`,
  (kit) => {
    test('signs the head every N records and at close, and audit:verify holds the store against them', async (t) => {
      const config = await checkpointedStore(kit, t);
      const checkpoints = readCheckpoints(config.checkpoints.path ?? '');
      assert.deepEqual(
        checkpoints.map((checkpoint) => checkpoint.seq),
        [5, 10, 12],
      );
      const store = await kit.open(t, config, { readOnly: true });
      if (store.checkpoints !== undefined) {
        assert.deepEqual(await store.checkpoints(), checkpoints, 'the store keeps the same');
      }
      const result = await verify(kit, t, config);
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stdout,
        /intact: 12 records in 1 chain, 3 checkpoints matched \(signatures verified\)/,
      );
    });

    test('refuses to open a store that does not hold the record the last checkpoint signed', async (t) => {
      const config = await checkpointedStore(kit, t);
      await openFails(await kit.emptyTwin(t, config));
    });

    test('catches records removed behind the triggers’ back: audit:verify exits 1 and the trail refuses to open', async (t) => {
      const config = await checkpointedStore(kit, t);
      await kit.cutTail(config, 'test-instance', 7);
      const result = await verify(kit, t, config);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /BROKEN at seq 8 of chain test-instance/);
      assert.match(result.stderr, /records after seq 7 were removed/);
      await openFails(config);
    });
  },
);
