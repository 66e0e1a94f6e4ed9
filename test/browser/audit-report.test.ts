// The audit report in a real browser (Debian's chromium, driven by playwright-core): opened from
// the file, offline, it shows the verdict first, bars that add up to the records, a filter and
// record details that work under the page's own Content-Security-Policy, and no record text
// ever runs. A screenshot is left in test/output/ for reviewers.
//
// Runs whenever chromium is installed (RESCIND_CHROMIUM, else /usr/bin/chromium); .ci/run
// installs it, and under CI a missing browser is a failure, not a silent pass.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { collectReport } from '../../src/audit/report/collect-report.ts';
import { openConfiguredReportSource } from '../../src/audit/report/report-source.ts';
import { renderReport } from '../../src/audit/report/render-report.ts';
import {
  HOSTILE,
  RECORD_COUNT,
  tamperWith,
  writeReportTrail,
  type ReportTrail,
} from '../unit/audit/report-fixture.ts';

const CHROMIUM = process.env.RESCIND_CHROMIUM ?? '/usr/bin/chromium';
const OUTPUT = resolve('test/output');

if (!existsSync(CHROMIUM)) {
  if (process.env.CI !== undefined) {
    throw new Error(
      `chromium is not at ${CHROMIUM}: .ci/run installs it (apt-get install chromium)`,
    );
  }
  process.stderr.write(
    `# no chromium at ${CHROMIUM}: the report's browser test needs it (RESCIND_CHROMIUM)\n`,
  );
} else {
  defineTests();
}

async function reportFile(trail: ReportTrail, name: string): Promise<string> {
  const source = await openConfiguredReportSource(trail.config);
  try {
    const data = await collectReport(source, {
      period: {},
      generatedBy: 'browser-test@localhost',
      generatedAt: new Date().toISOString(),
    });
    mkdirSync(OUTPUT, { recursive: true });
    const file = join(OUTPUT, name);
    writeFileSync(file, renderReport(data).html);
    return file;
  } finally {
    await source.close();
  }
}

interface Opened {
  readonly page: Page;
  /** Requests for anything but the file itself, console errors (CSP violations), dialogs. */
  readonly outside: string[];
  readonly errors: string[];
}

async function open(browser: Browser, file: string): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const outside: string[] = [];
  const errors: string[] = [];
  const url = pathToFileURL(file).href;
  await context.route('**/*', async (route) => {
    if (route.request().url() === url) return route.continue();
    outside.push(route.request().url());
    return route.abort();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('dialog', (dialog) => {
    errors.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.goto(url);
  return { page, outside, errors };
}

function defineTests(): void {
  let browser: Browser;
  before(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, chromiumSandbox: false });
  });
  after(() => browser.close());

  describe('the audit report in chromium', () => {
    it('intact: verdict first, bars that add up, a working filter and record details', async (t) => {
      const trail = await writeReportTrail(t);
      const { page, outside, errors } = await open(
        browser,
        await reportFile(trail, 'audit-report.html'),
      );
      t.after(() => page.context().close());

      // The verdict is the first thing on the page, styled by the page's own stylesheet.
      assert.equal(await inPage(page, 'document.body.firstElementChild.id'), 'verdict');
      const verdict = page.locator('#verdict');
      assert.match(await verdict.innerText(), /^The audit trail is intact\./);
      assert.equal(
        await inPage(page, "getComputedStyle(document.getElementById('verdict')).backgroundColor"),
        'rgb(232, 245, 233)',
      );

      await checkBars(page);
      await checkFilter(page);
      await checkDetail(page);

      // Caller-controlled text is shown as text and never ran.
      assert.equal(await inPage(page, 'typeof window.__pwned'), 'undefined');
      assert.equal(await page.locator('#by-caller td', { hasText: HOSTILE.subject }).count(), 1);

      await page.screenshot({ path: join(OUTPUT, 'audit-report.png'), fullPage: true });
      assert.ok(statSync(join(OUTPUT, 'audit-report.png')).size > 10_000);
      assert.deepEqual(outside, [], 'the page loads nothing');
      assert.deepEqual(errors, [], 'no script error, no blocked inline script or style, no dialog');
    });

    it('tampered: the first line says the trail is broken and where', async (t) => {
      const trail = await writeReportTrail(t);
      tamperWith(trail.database, 3);
      const { page, errors } = await open(
        browser,
        await reportFile(trail, 'audit-report-broken.html'),
      );
      t.after(() => page.context().close());
      const firstLine = (await page.locator('#verdict strong').innerText()).trim();
      assert.equal(
        firstLine,
        'The audit trail is BROKEN: the first bad record is seq 3 of chain report-test.',
      );
      assert.equal(
        await inPage(page, "getComputedStyle(document.getElementById('verdict')).color"),
        'rgb(183, 28, 28)',
      );
      assert.equal(await page.title(), 'BROKEN audit trail — Rescind audit report');
      const bad = page.locator('tr.record.bad');
      assert.equal(await bad.count(), 1);
      assert.equal(await bad.getAttribute('data-seq'), '3');
      await page.screenshot({ path: join(OUTPUT, 'audit-report-broken.png') });
      assert.deepEqual(errors, []);
    });
  });
}

/**
 * An expression evaluated in the page. (Text, not a function: the test is type-checked without
 * the DOM library, and what runs in the page is plain script either way.)
 */
function inPage(page: Page, expression: string): Promise<unknown> {
  return page.evaluate(expression);
}

/** Each result's bars add up to the outcome rows of that result, and heights are to scale. */
async function checkBars(page: Page): Promise<void> {
  const bars = (await inPage(
    page,
    `[...document.querySelectorAll('svg.timeline rect.bar')].map((rect) => ({
      result: rect.getAttribute('data-result'),
      count: Number(rect.getAttribute('data-count')),
      height: rect.getBBox().height,
    }))`,
  )) as { result: string; count: number; height: number }[];
  const rows = (await inPage(
    page,
    `[...document.querySelectorAll('tr.record')].map((tr) => tr.getAttribute('data-result'))`,
  )) as string[];
  const drawn: Record<string, number> = {};
  for (const bar of bars) drawn[bar.result] = (drawn[bar.result] ?? 0) + bar.count;
  const listed: Record<string, number> = {};
  for (const result of rows) if (result !== 'attempt') listed[result] = (listed[result] ?? 0) + 1;
  assert.deepEqual(drawn, listed);
  assert.deepEqual(drawn, { revoked: 4, failed: 3, denied: 1, unauthenticated: 1 });
  const perRecord = bars.map((bar) => bar.height / bar.count);
  for (const ratio of perRecord) assert.ok(Math.abs(ratio - (perRecord[0] ?? 0)) < 0.2, 'to scale');
  // Three hours, three bars (stacks).
  assert.equal(await page.locator('svg.timeline g.bucket').count(), 3);
}

async function checkFilter(page: Page): Promise<void> {
  const visible = () => page.locator('tr.record:visible').count();
  assert.equal(await visible(), RECORD_COUNT);
  await page.fill('#filter', 'deleteAllAuthorizations');
  assert.equal(await visible(), 4, 'two mass revocations, attempt and outcome each');
  assert.equal(await page.locator('#shown').innerText(), `4 of ${RECORD_COUNT} records shown`);
  await page.fill('#filter', '');
  await page.selectOption('#filter-result', 'failed');
  assert.equal(await visible(), 3);
  await page.fill('#filter', 'ModelArts.0104');
  assert.equal(await visible(), 1, 'text and result filters combine');
  await page.selectOption('#filter-result', '');
  await page.fill('#filter', HOSTILE.subject);
  assert.equal(await visible(), 2, 'the hostile caller’s attempt and outcome, found as text');
  await page.fill('#filter', '');
  assert.equal(await visible(), RECORD_COUNT);
}

async function checkDetail(page: Page): Promise<void> {
  const row = page.locator('tr.record').nth(4);
  assert.equal(await row.getAttribute('id'), 'rec-4');
  const opened = page.locator('#rec-4 + tr.detail');
  assert.equal(await opened.isVisible(), false);
  await row.click();
  assert.equal(await opened.isVisible(), true);
  assert.equal(await row.locator('button.open').getAttribute('aria-expanded'), 'true');
  const content = JSON.parse(await opened.locator('pre.content').innerText()) as {
    seq: number;
    chain: string;
    hash: string;
  };
  assert.equal(content.seq, Number(await row.getAttribute('data-seq')));
  assert.equal(await opened.locator('dd.hash').innerText(), content.hash);
  assert.match(
    await opened.innerText(),
    new RegExp(`seq ${content.seq} of chain ${content.chain}`),
  );
  await row.click();
  assert.equal(await opened.isVisible(), false, 'a second click closes it');
}
