import { METRIC_SPECS } from './metrics.ts';

/**
 * The metrics table of docs/operations.md, rendered from the specs createMetrics builds from;
 * a docs test fails when the document and the specs disagree.
 */
export function renderMetricsTable(): string {
  return [
    '| metric | type | labels | meaning |',
    '|---|---|---|---|',
    ...Object.values(METRIC_SPECS).map((spec) => {
      const labels: readonly string[] = spec.labelNames;
      const shown = labels.length === 0 ? '–' : labels.map((label) => `\`${label}\``).join(', ');
      return `| \`${spec.name}\` | ${spec.type} | ${shown} | ${spec.help} |`;
    }),
  ].join('\n');
}
