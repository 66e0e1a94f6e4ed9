// The audit report as its reader gets it: one HTML file that loads nothing, says at the top
// whether the trail is intact (and where it breaks), counts what happened, lists every record
// of the period, and shows caller-controlled text only as text.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { scanStore } from '../../../src/audit/audit-reader.ts';
import type { AuditRecord } from '../../../src/audit/audit-record.ts';
import { openAuditStore } from '../../../src/audit/stores/open-audit-store.ts';
import { collectReport } from '../../../src/audit/report/collect-report.ts';
import type { ReportData } from '../../../src/audit/report/report-data.ts';
import {
  fileReportSource,
  openConfiguredReportSource,
  type ReportSource,
} from '../../../src/audit/report/report-source.ts';
import { renderReport } from '../../../src/audit/report/render-report.ts';
import { buildTimeline } from '../../../src/audit/report/timeline.ts';
import { HOUR_MS } from '../../../src/audit/report/report-summary.ts';
import {
  HOSTILE,
  RECORD_COUNT,
  REPORT_START,
  REQUESTS,
  tamperWith,
  writeReportTrail,
  type ReportTrail,
} from './report-fixture.ts';
import { REPORT_CLI, runCli } from './cli-kit.ts';

async function collect(source: ReportSource, period = {}): Promise<ReportData> {
  try {
    return await collectReport(source, {
      period,
      generatedBy: 'tester@host',
      generatedAt: '2026-12-07T12:00:00.000Z',
    });
  } finally {
    await source.close();
  }
}

/** The records of the page's JSON data block. */
function dataBlock(html: string): AuditRecord[] {
  const json = /<script type="application\/json" id="record-data">([\s\S]*?)<\/script>/.exec(
    html,
  )?.[1];
  assert.ok(json, 'the page has its data block');
  return JSON.parse(json) as AuditRecord[];
}

/** The text of the page without tags, roughly as a reader sees it. */
function visibleText(html: string): string {
  return html
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');
}

describe('audit report from the configured store', () => {
  test('says the trail is intact, with its chains, checkpoints and signatures', async (t) => {
    const { config } = await writeReportTrail(t);
    const data = await collect(await openConfiguredReportSource(config));
    assert.equal(data.verification.ok, true);
    assert.equal(data.verification.records, RECORD_COUNT);
    assert.equal(data.verification.signaturesChecked, true);
    assert.ok(data.verification.checkpointsMatched > 0);
    const { html } = renderReport(data);
    const body = html.slice(html.indexOf('<body>'));
    assert.match(
      body,
      /^<body>\s*<header id="verdict" class="banner ok"[^>]*><strong>The audit trail is intact\.<\/strong>/,
    );
    const text = visibleText(html);
    assert.match(text, new RegExp(`${RECORD_COUNT} records in 1 chain verified`));
    assert.match(text, /their signatures were verified with the configured key/);
    assert.match(text, /Generated 2026-12-07T12:00:00\.000Z by tester@host/);
  });

  test('counts requests by result, operation, caller and project, and the cloud error codes', async (t) => {
    const { config } = await writeReportTrail(t);
    const { summary } = await collect(await openConfiguredReportSource(config));
    assert.equal(summary.records, RECORD_COUNT);
    assert.equal(summary.outcomes, REQUESTS.length);
    assert.deepEqual(
      { ...summary.byResult },
      { total: 9, revoked: 4, failed: 3, denied: 1, unauthenticated: 1 },
    );
    assert.deepEqual(summary.byOperation.get('modelarts.deleteAllAuthorizations'), {
      total: 2,
      revoked: 1,
      failed: 1,
    });
    assert.equal(summary.byCaller.get('alice')?.total, 5);
    assert.equal(summary.byCaller.get('(unauthenticated)')?.total, 1);
    assert.equal(summary.byProject.get('eu (fedcba9876543210fedcba9876543210)')?.total, 2);
    assert.deepEqual(
      summary.cloudErrors.map((error) => [error.code, error.status, error.count]),
      [
        [HOSTILE.code, 400, 1],
        ['APIG.3002', 404, 1],
        ['ModelArts.0104', 500, 1],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    assert.deepEqual(
      summary.massRevocations.map((record) => record.outcome?.result),
      ['revoked', 'failed'],
    );
  });

  test('the page lists every record of the period, with its position, hash and content', async (t) => {
    const { config } = await writeReportTrail(t);
    const data = await collect(await openConfiguredReportSource(config));
    const { html } = renderReport(data);
    assert.equal(html.match(/<tr class="record[ "]/g)?.length, RECORD_COUNT);
    // Each record's full content, hash and position travel in the page's data block.
    assert.deepEqual(dataBlock(html), data.records);
    assert.equal(dataBlock(html).at(-1)?.hash, data.records.at(-1)?.hash);
    // The mass revocations, one by one, each linked to its row.
    const mass = /<table id="mass-revocations">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
    assert.equal(mass.match(/<a href="#rec-\d+">/g)?.length, 2);
  });

  test("beyond the table's limit, records are counted and the page says how many are not listed", async (t) => {
    const { config } = await writeReportTrail(t);
    const source = await openConfiguredReportSource(config);
    const data = await collectReport(source, {
      period: {},
      generatedBy: 'tester@host',
      generatedAt: '2026-12-07T12:00:00.000Z',
      maxRecords: 5,
    }).finally(() => source.close());
    assert.equal(data.records.length, 5);
    assert.equal(data.recordsLeftOut, RECORD_COUNT - 5);
    assert.equal(data.summary.records, RECORD_COUNT, 'every record is still counted');
    const { html } = renderReport(data);
    assert.equal(dataBlock(html).length, 5);
    assert.match(
      visibleText(html),
      new RegExp(
        `The table lists the first 5 records of the period; ${RECORD_COUNT - 5} more are counted above but not listed`,
      ),
    );
  });

  test('a period keeps the counts and the table to it; the timeline shows hours', async (t) => {
    const { config } = await writeReportTrail(t);
    const since = new Date(REPORT_START + HOUR_MS).toISOString();
    const until = new Date(REPORT_START + 2 * HOUR_MS).toISOString();
    const data = await collect(await openConfiguredReportSource(config), { since, until });
    // Hour 1: two mass revocations and an APIG failure, each with its attempt.
    assert.equal(data.summary.outcomes, 3);
    assert.equal(data.records.length, 6);
    assert.equal(data.verification.records, RECORD_COUNT, 'the whole trail is still verified');
    const { html } = renderReport(data);
    assert.match(visibleText(html), new RegExp(`from ${since} to ${until} \\(excluded\\)`));
    assert.match(html, /<svg class="timeline" data-unit="hour"/);
  });
});

describe('a tampered store', () => {
  test('gives a report whose first line says the trail is broken and where', async (t) => {
    const { config, database } = await writeReportTrail(t);
    tamperWith(database, 3);
    const data = await collect(await openConfiguredReportSource(config));
    assert.equal(data.verification.ok, false);
    assert.deepEqual(
      { chain: data.verification.firstBad?.chain, seq: data.verification.firstBad?.seq },
      { chain: 'report-test', seq: 3 },
    );
    const { html } = renderReport(data);
    assert.match(html, /<title>BROKEN audit trail/);
    const body = html.slice(html.indexOf('<body>'));
    assert.match(
      visibleText(body.slice(0, body.indexOf('</header>'))),
      /^ The audit trail is BROKEN: the first bad record is seq 3 of chain report-test\. The hash of seq 3 does not match its content\./,
    );
    assert.match(
      html,
      /<tr class="record bad" id="rec-2"/,
      'the bad record is marked in the table',
    );
  });
});

describe('a damaged checkpoints file', () => {
  test('makes the report say the trail is broken, as audit:verify does', async (t) => {
    const { config } = await writeReportTrail(t);
    appendFileSync(`${config.sqlitePath}.checkpoints`, 'not a checkpoint\n');
    const data = await collect(await openConfiguredReportSource(config));
    assert.equal(data.verification.ok, false);
    assert.match(
      data.verification.reason,
      /^the checkpoints file is damaged: .* is not a checkpoint$/,
    );
    assert.match(
      renderReport(data).html,
      /<strong>The audit trail is BROKEN\.<\/strong><span class="detail">The checkpoints file is damaged/,
    );
  });
});

describe('caller-controlled text', () => {
  test('is escaped everywhere: no markup or script from a record reaches the page', async (t) => {
    const { config } = await writeReportTrail(t);
    const { html, contentSecurityPolicy } = renderReport(
      await collect(await openConfiguredReportSource(config)),
    );
    for (const value of Object.values(HOSTILE)) {
      assert.ok(!html.includes(value), `raw ${value} is not in the page`);
    }
    assert.equal(html.match(/<script/g)?.length, 2, 'the report’s own script, and its data');
    assert.equal(html.match(/<script>/g)?.length, 1, 'one script runs');
    // The data block holds the hostile text intact, as data: it round-trips through JSON.
    const hostile = dataBlock(html).filter((record) => record.actor.subject === HOSTILE.subject);
    const [attempt, outcome, ...more] = hostile;
    assert.ok(attempt && outcome && more.length === 0);
    assert.equal(attempt.requestId, HOSTILE.requestId);
    assert.equal(attempt.project.alias, HOSTILE.project);
    assert.equal(attempt.target.keyId, HOSTILE.target);
    assert.equal(outcome.outcome?.upstream?.message, HOSTILE.message);
    assert.doesNotMatch(html, /<img|<iframe|<svg onload/);
    assert.ok(html.includes('&lt;script&gt;window.__pwned = 1&lt;/script&gt;'));
    // The page runs nothing but its own script and style, by hash, and loads nothing.
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    assert.equal(meta?.replaceAll('&#39;', "'"), contentSecurityPolicy);
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const hash = (text: string) => createHash('sha256').update(text).digest('base64');
    assert.ok(contentSecurityPolicy.includes(`script-src 'sha256-${hash(script)}'`));
    assert.ok(contentSecurityPolicy.includes(`style-src 'sha256-${hash(style)}'`));
    assert.match(contentSecurityPolicy, /default-src 'none'/);
    assert.doesNotMatch(html, /\b(src|href)="(https?:)?\/\//, 'no external resource');
  });
});

/** Writes the store's records to `dir`/export.ndjson, one stored body a line; returns its path. */
async function exportNdjson(config: ReportTrail['config'], dir: string): Promise<string> {
  const store = await openAuditStore(config, { readOnly: true });
  const lines: string[] = [];
  for await (const stored of scanStore(store)) lines.push(`${stored.body}\n`);
  await store.close();
  const file = join(dir, 'export.ndjson');
  writeFileSync(file, lines.join(''));
  return file;
}

describe('an NDJSON export', () => {
  test('gives the same report as the store it was exported from', async (t) => {
    const { config, dir } = await writeReportTrail(t);
    const file = await exportNdjson(config, dir);
    const fromFile = await collect(fileReportSource(file));
    const fromStore = await collect(await openConfiguredReportSource(config));
    assert.equal(fromFile.verification.ok, true);
    assert.equal(fromFile.source, file);
    assert.deepEqual(fromFile.summary, fromStore.summary);
    assert.deepEqual(fromFile.records, fromStore.records);
  });
});

describe('timeline', () => {
  test('hours up to three days, days beyond, empty buckets included', () => {
    const hour = (n: number) => REPORT_START - (REPORT_START % HOUR_MS) + n * HOUR_MS;
    const short = buildTimeline(
      new Map([
        [hour(0), { total: 2, revoked: 2 }],
        [hour(3), { total: 1, failed: 1 }],
      ]),
    );
    assert.equal(short.unit, 'hour');
    assert.deepEqual(
      short.buckets.map((bucket) => bucket.counts.total),
      [2, 0, 0, 1],
    );
    const long = buildTimeline(
      new Map([
        [hour(0), { total: 2, revoked: 2 }],
        [hour(1), { total: 1, denied: 1 }],
        [hour(24 * 5), { total: 1, failed: 1 }],
      ]),
    );
    assert.equal(long.unit, 'day');
    assert.deepEqual(
      long.buckets.map((bucket) => ({ ...bucket.counts })),
      [
        { total: 3, revoked: 2, denied: 1 },
        { total: 0 },
        { total: 0 },
        { total: 0 },
        { total: 0 },
        { total: 1, failed: 1 },
      ],
    );
  });
});

describe('npm run audit:report', () => {
  const cli = (args: string[], env: Record<string, string>) => runCli(REPORT_CLI, args, env);

  test('writes the report of an export, exits 1 for a broken trail, 2 for bad input', async (t) => {
    const { config, dir, database } = await writeReportTrail(t);
    const file = await exportNdjson(config, dir);
    const out = join(dir, 'report.html');

    const intact = await cli(['--from', file, '--out', out], {});
    assert.equal(intact.code, 0, intact.stderr);
    assert.equal(
      intact.stdout,
      `audit:report: wrote ${out}: ${RECORD_COUNT} records in the period; trail intact\n`,
    );
    assert.equal(intact.stderr, '', 'no progress when stderr is not a terminal');
    assert.match(readFileSync(out, 'utf8'), /The audit trail is intact\./);

    tamperWith(database, 5);
    const env = {
      RESCIND_AUDIT_STORE: 'sqlite',
      RESCIND_AUDIT_SQLITE_PATH: database,
      RESCIND_AUDIT_CHECKPOINT_KEY: config.checkpoints.signingKey ?? '',
      RESCIND_CONFIG: join(dir, 'none.yaml'),
    };
    writeFileSync(env.RESCIND_CONFIG, 'audit: {}\n');
    const broken = await cli(['--out', out], env);
    assert.equal(broken.code, 1, broken.stderr);
    assert.match(broken.stdout, /trail BROKEN at seq 5 of chain report-test/);
    assert.match(
      readFileSync(out, 'utf8'),
      /The audit trail is BROKEN: the first bad record is seq 5/,
    );

    const bad = await cli(['--from', file, '--since', 'yesterday'], {});
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since must be an ISO 8601 time/);
  });
});
