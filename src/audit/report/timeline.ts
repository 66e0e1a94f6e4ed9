// The timeline chart: outcomes per hour (up to three days) or per day, stacked by result, drawn
// as inline SVG by the report itself. Every bar carries its bucket, result and count as data
// attributes, so what is drawn can be checked against the records.

import { AUDIT_RESULTS, type AuditResult } from '../audit-trail.ts';
import { HOUR_MS, type ResultCounts } from './report-summary.ts';
import { markup, type SafeHtml } from './safe-html.ts';

const DAY_MS = 24 * HOUR_MS;
/** Up to this many hours the chart shows hours; beyond, days. */
const MAX_HOURLY_BUCKETS = 72;

export const RESULT_COLORS: Readonly<Record<AuditResult, string>> = {
  revoked: '#2e7d32',
  failed: '#c62828',
  denied: '#ef6c00',
  invalid: '#8e24aa',
  unauthenticated: '#6d4c41',
  'rate-limited': '#0277bd',
  unknown: '#757575',
  read: '#546e7a',
};

export interface TimelineBucket {
  /** Epoch ms of the bucket's start (UTC). */
  readonly start: number;
  readonly counts: ResultCounts;
}

export interface Timeline {
  readonly unit: 'hour' | 'day';
  readonly buckets: readonly TimelineBucket[];
}

/** Buckets from the first outcome's hour or day to the last one's, empty ones included. */
export function buildTimeline(byHour: ReadonlyMap<number, ResultCounts>): Timeline {
  if (byHour.size === 0) return { unit: 'hour', buckets: [] };
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const hour of byHour.keys()) {
    first = Math.min(first, hour);
    last = Math.max(last, hour);
  }
  const unit = (last - first) / HOUR_MS < MAX_HOURLY_BUCKETS ? 'hour' : 'day';
  const size = unit === 'hour' ? HOUR_MS : DAY_MS;
  const buckets = new Map<number, ResultCounts>();
  for (let start = first - (first % size); start <= last; start += size) {
    buckets.set(start, { total: 0 });
  }
  for (const [hour, counts] of byHour) {
    const bucket = buckets.get(hour - (hour % size));
    if (bucket === undefined) continue;
    for (const result of AUDIT_RESULTS) {
      const n = counts[result] ?? 0;
      if (n === 0) continue;
      bucket[result] = (bucket[result] ?? 0) + n;
      bucket.total += n;
    }
  }
  return { unit, buckets: [...buckets].map(([start, counts]) => ({ start, counts })) };
}

export function bucketLabel(start: number, unit: Timeline['unit']): string {
  const iso = new Date(start).toISOString();
  return unit === 'hour' ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : iso.slice(0, 10);
}

const WIDTH = 960;
const HEIGHT = 240;
const LEFT = 48;
const RIGHT = 8;
const TOP = 12;
const BOTTOM = 40;
const MAX_X_LABELS = 8;
/** A bar of a short period stays a bar, not a block. */
const MAX_BAR_WIDTH = 56;

export function renderTimeline(timeline: Timeline): SafeHtml {
  if (timeline.buckets.length === 0) {
    return markup`<p class="empty">No revocation requests in this period.</p>`;
  }
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const max = timeline.buckets.reduce((most, bucket) => Math.max(most, bucket.counts.total), 1);
  const step = plotWidth / timeline.buckets.length;
  const barWidth = Math.min(MAX_BAR_WIDTH, Math.max(1, step * 0.8));
  const y = (n: number) => TOP + plotHeight - (n / max) * plotHeight;
  const labelEvery = Math.ceil(timeline.buckets.length / MAX_X_LABELS);
  const bars = timeline.buckets.map((bucket, index) => {
    const x = LEFT + index * step + (step - barWidth) / 2;
    const label = bucketLabel(bucket.start, timeline.unit);
    let below = 0;
    const segments = AUDIT_RESULTS.filter((result) => (bucket.counts[result] ?? 0) > 0).map(
      (result) => {
        const n = bucket.counts[result] ?? 0;
        const top = y(below + n);
        const height = y(below) - top;
        below += n;
        return markup`<rect class="bar" data-result="${result}" data-count="${n}" x="${fixed(x)}" y="${fixed(top)}" width="${fixed(barWidth)}" height="${fixed(height)}" fill="${RESULT_COLORS[result]}"><title>${label}: ${n} ${result}</title></rect>`;
      },
    );
    const tick =
      index % labelEvery === 0
        ? markup`<text class="x-label" x="${fixed(x + barWidth / 2)}" y="${HEIGHT - BOTTOM + 16}" text-anchor="middle">${label}</text>`
        : null;
    return markup`<g class="bucket" data-start="${new Date(bucket.start).toISOString()}" data-total="${bucket.counts.total}">${segments}${tick}</g>`;
  });
  const grid = [0, Math.round(max / 2), max]
    .filter((value, index, all) => all.indexOf(value) === index)
    .map(
      (value) =>
        markup`<line class="grid" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${fixed(y(value))}" y2="${fixed(y(value))}"/><text class="y-label" x="${LEFT - 6}" y="${fixed(y(value) + 4)}" text-anchor="end">${value}</text>`,
    );
  return markup`<svg class="timeline" data-unit="${timeline.unit}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Revocation requests per ${timeline.unit}, by result">${grid}${bars}</svg>`;
}

function fixed(value: number): string {
  return value.toFixed(1);
}
