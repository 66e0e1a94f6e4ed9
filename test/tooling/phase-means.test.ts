// The bench's breakdown of a revocation's time inside the gateway (bench/lib/phase-means.ts) reads
// the gateway's own histograms from its /metrics text: with the real metric definitions, the
// means it computes are the means of what was observed between two scrapes, over every label.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePhaseTotals, phaseMeans } from '../../bench/lib/phase-means.ts';
import { createMetrics } from '../../src/observability/metrics.ts';

describe('bench phase means', () => {
  it('are the means of what the gateway observed between two scrapes, over every label', async () => {
    const metrics = createMetrics(undefined, { process: false });
    metrics.requestDuration.labels('kms.revoke-grant', 'revoked', '200').observe(0.004);
    const before = parsePhaseTotals(await metrics.registry.metrics());

    metrics.requestDuration.labels('kms.revoke-grant', 'revoked', '200').observe(0.006);
    metrics.requestDuration.labels('ccm.delete-csr', 'failed', '502').observe(0.01);
    metrics.auditCommitDuration.observe({ store: 'sqlite' }, 0.001);
    metrics.auditCommitDuration.observe({ store: 'sqlite' }, 0.003);
    metrics.upstreamDuration.labels('kms', '2xx').observe(0.002);
    const after = parsePhaseTotals(await metrics.registry.metrics());

    const means = phaseMeans(before, after);
    assert.ok(Math.abs(means.request - 8) < 1e-9, `request ${means.request}`);
    assert.ok(Math.abs(means.auditCommit - 2) < 1e-9, `audit commit ${means.auditCommit}`);
    assert.ok(Math.abs(means.upstream - 2) < 1e-9, `upstream ${means.upstream}`);
  });

  it('are not a number for a phase nothing was observed in', async () => {
    const metrics = createMetrics(undefined, { process: false });
    const totals = parsePhaseTotals(await metrics.registry.metrics());
    assert.ok(Number.isNaN(phaseMeans(totals, totals).request));
  });
});
