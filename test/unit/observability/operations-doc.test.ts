// docs/operations.md against the code: its metrics table is rendered from the metric specs,
// and every metric name it mentions anywhere (alerts, runbook) exists.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createMetrics, METRIC_SPECS } from '../../../src/observability/metrics.ts';
import { renderMetricsTable } from '../../../src/observability/render-metrics-table.ts';

const DOC = 'docs/operations.md';
const TABLE = /(<!-- metrics:begin[^\n]*-->\n)[\s\S]*?(\n<!-- metrics:end -->)/;

describe('docs/operations.md', () => {
  it('holds the metrics table rendered from the metric specs (UPDATE_SNAPSHOTS=1 rewrites it)', () => {
    const doc = readFileSync(DOC, 'utf8');
    assert.match(doc, TABLE, 'the metrics markers are in place');
    const current = doc.replace(
      TABLE,
      (_, begin: string, end: string) => begin + renderMetricsTable() + end,
    );
    if (process.env.UPDATE_SNAPSHOTS === '1' && current !== doc) writeFileSync(DOC, current);
    assert.equal(doc, current, 'the metrics table differs from src/observability/metrics.ts');
  });

  it('mentions only metrics the gateway exports, and every one it defines', async () => {
    const doc = readFileSync(DOC, 'utf8');
    const metrics = createMetrics(new Registry());
    const exported = new Set(
      (await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name),
    );
    const mentioned = new Set(
      [...doc.matchAll(/\brescind_[a-z0-9_]+/g)].map(([name]) =>
        name.replace(/_(bucket|sum|count)$/, ''),
      ),
    );
    for (const name of mentioned) assert.ok(exported.has(name), `${name} is not a metric`);
    for (const spec of Object.values(METRIC_SPECS)) {
      assert.ok(mentioned.has(spec.name), `${spec.name} is not documented`);
    }
  });

  it('names metrics rescind_* with a unit suffix where they measure one', () => {
    for (const spec of Object.values(METRIC_SPECS)) {
      assert.match(spec.name, /^rescind_[a-z0-9_]+$/);
      if (spec.type === 'counter') assert.match(spec.name, /_total$/, spec.name);
      if (spec.type === 'histogram') assert.match(spec.name, /_seconds$/, spec.name);
    }
  });
});
