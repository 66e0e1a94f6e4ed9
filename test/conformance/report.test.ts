// The audit report on every store (SQLite on either thread, PostgreSQL): gathered from the
// configured store as `npm run audit:report` does, held against the store's signed checkpoints,
// and telling where the trail breaks when records were removed behind the triggers' back.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { collectReport } from '../../src/audit/report/collect-report.ts';
import type { ReportData } from '../../src/audit/report/report-data.ts';
import { openConfiguredReportSource } from '../../src/audit/report/report-source.ts';
import { renderReport } from '../../src/audit/report/render-report.ts';
import {
  openTestTrail,
  recordRequest,
  sampleEvent,
  tempDir,
} from '../unit/audit/audit-test-kit.ts';
import { REPORT_CLI, runCli } from '../unit/audit/cli-kit.ts';
import {
  checkpointedConfig,
  describeEachStore,
  type AuditConfig,
  type StoreKit,
} from './store-kits.ts';

/** Six requests (attempt and outcome each), checkpointed every 5 records and at close. */
async function reportedStore(kit: StoreKit, t: TestContext): Promise<AuditConfig> {
  const config = await checkpointedConfig(kit, t);
  const { trail } = await openTestTrail(t, config);
  for (let index = 0; index < 6; index += 1) {
    await recordRequest(trail, sampleEvent({ requestId: `r-${index + 1}` }));
  }
  await trail.close();
  return config;
}

async function report(config: AuditConfig): Promise<ReportData> {
  const source = await openConfiguredReportSource(config);
  try {
    return await collectReport(source, {
      period: {},
      generatedBy: 'conformance',
      generatedAt: new Date().toISOString(),
    });
  } finally {
    await source.close();
  }
}

describeEachStore(
  (kit) => `audit report on ${kit.name}`,
  (kit) => {
    test('intact: every record, held against the signed checkpoints', async (t) => {
      const config = await reportedStore(kit, t);
      const data = await report(config);
      assert.equal(data.verification.ok, true, data.verification.reason);
      assert.equal(data.verification.records, 12);
      assert.equal(data.verification.signaturesChecked, true);
      assert.ok(data.verification.checkpointsMatched >= 2);
      assert.equal(data.records.length, 12);
      assert.deepEqual({ ...data.summary.byResult }, { total: 6, revoked: 6 });
    });

    test('a removed tail: the report says broken, at the first missing seq', async (t) => {
      const config = await reportedStore(kit, t);
      await kit.cutTail(config, config.instanceId, 8);
      const data = await report(config);
      assert.equal(data.verification.ok, false);
      assert.equal(data.verification.firstBad?.seq, 9);
      assert.match(
        renderReport(data).html,
        /<strong>The audit trail is BROKEN: the first bad record is seq 9 of chain [^<]+\.<\/strong>/,
      );
    });

    test('npm run audit:report reads it as configured', async (t) => {
      const config = await reportedStore(kit, t);
      const dir = tempDir(t);
      const out = join(dir, 'report.html');
      const { code, stdout, stderr } = await runCli(
        REPORT_CLI,
        ['--out', out],
        kit.cliEnv(config, dir),
      );
      assert.equal(code, 0, stderr);
      assert.match(stdout, /12 records in the period; trail intact/);
      assert.match(readFileSync(out, 'utf8'), /The audit trail is intact\./);
    });
  },
);
