// The report as one self-contained HTML page (pure: data in, text out). The page loads nothing:
// its Content-Security-Policy allows no source but its own inline stylesheet and script, by hash,
// and every piece of record text goes through the escaping `markup` tag.

import { createHash } from 'node:crypto';
import type { AuditRecord } from '../audit-record.ts';
import { AUDIT_RESULTS, type AuditResult } from '../audit-trail.ts';
import type { ReportData, ReportPeriod, ReportVerification } from './report-data.ts';
import { REPORT_SCRIPT, REPORT_STYLE } from './report-assets.ts';
import { renderBreakdowns } from './render-breakdowns.ts';
import { renderRecordTable } from './render-records.ts';
import { markup, type SafeHtml } from './safe-html.ts';
import { buildTimeline, renderTimeline } from './timeline.ts';

export interface RenderedReport {
  readonly html: string;
  /** The policy of the page's meta tag, for a server to send as a header too. */
  readonly contentSecurityPolicy: string;
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

export const REPORT_CSP = [
  "default-src 'none'",
  `style-src ${sha256(REPORT_STYLE.text)}`,
  `script-src ${sha256(REPORT_SCRIPT.text)}`,
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export function renderReport(data: ReportData): RenderedReport {
  const verdict = data.verification.ok ? 'Audit trail intact' : 'BROKEN audit trail';
  const timeline = buildTimeline(data.summary.byHour);
  const page = markup`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${verdict} — Rescind audit report</title>
<style>${REPORT_STYLE}</style>
</head>
<body>
${renderBanner(data.verification)}
<main>
<h1>Rescind audit report</h1>
${renderMeta(data)}
${renderVerification(data.verification)}
<section id="timeline">
<h2>Revocation requests per ${timeline.unit}, by result</h2>
${renderTimeline(timeline)}
${renderLegend(data.summary.byResult)}
</section>
${renderBreakdowns(data.summary, data.records)}
${renderRecordTable(data)}
</main>
<script>${REPORT_SCRIPT}</script>
</body>
</html>
`;
  return { html: page.text, contentSecurityPolicy: REPORT_CSP };
}

/** The first thing on the page: intact, or broken and where, in plain words. */
function renderBanner(verification: ReportVerification): SafeHtml {
  if (verification.ok) {
    const chains = verification.chains.length;
    const matched = verification.checkpointsMatched;
    const checkpoints =
      matched > 0 ? `, and ${matched} signed checkpoint${matched === 1 ? '' : 's'} matched` : '';
    return markup`<header id="verdict" class="banner ok" role="status"><strong>The audit trail is intact.</strong><span class="detail">${verification.records} records in ${chains} chain${chains === 1 ? '' : 's'} verified from their first record: no record was changed, removed, inserted or reordered${checkpoints}.</span></header>`;
  }
  return markup`<header id="verdict" class="banner broken" role="alert"><strong>The audit trail is BROKEN${whereBroken(verification)}.</strong><span class="detail">${capitalize(verification.reason)}. The records from there on cannot be trusted as they are; keep the store as it is and investigate.${firstBadFacts(verification.firstBad?.record)}</span></header>`;
}

function whereBroken(verification: ReportVerification): string {
  const bad = verification.firstBad;
  if (bad?.seq === undefined) return '';
  return `: the first bad record is seq ${bad.seq}${bad.chain !== undefined ? ` of chain ${bad.chain}` : ''}`;
}

function firstBadFacts(record: AuditRecord | undefined): string {
  if (record === undefined) return '';
  return ` The record stored there: ${record.time}, ${record.phase} of ${record.operation}, request ${record.requestId}, id ${record.id}.`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function renderMeta(data: ReportData): SafeHtml {
  return markup`<dl class="meta">
<dt>Period</dt><dd id="period">${describePeriod(data.period)}</dd>
<dt>Generated</dt><dd id="generated">${data.generatedAt} by ${data.generatedBy}</dd>
<dt>Source</dt><dd class="mono">${data.source}</dd>
<dt>In the period</dt><dd>${data.summary.records} records, ${data.summary.outcomes} requests (outcome records)</dd>
</dl>`;
}

export function describePeriod(period: ReportPeriod): string {
  const from = period.since === undefined ? 'the first record' : period.since;
  const to = period.until === undefined ? 'the last record' : `${period.until} (excluded)`;
  return `from ${from} to ${to}`;
}

function checkpointState(verification: ReportVerification): string {
  const held = verification.checkpointsHeld;
  if (held === 0) return 'no signed checkpoints were found to hold the chains against';
  const counts = `${held} held, ${verification.checkpointsMatched} matched`;
  return verification.signaturesChecked
    ? `${counts}; their signatures were verified with the configured key`
    : `${counts}; their signatures were not checked (no public key)`;
}

function witnessState(verification: ReportVerification): string {
  if (verification.witnessed === undefined) {
    return 'none given (npm run audit:report -- --witness FILE holds the store against a log of checkpoints kept off the box)';
  }
  return `${verification.witnessed} witnessed checkpoints compared with the store`;
}

function renderVerification(verification: ReportVerification): SafeHtml {
  const chains = verification.chains.map(
    (chain) =>
      markup`<tr><td class="mono">${chain.chain}</td><td class="n">${chain.records}</td><td class="n">${chain.headSeq}</td><td class="mono">${chain.headHash}</td><td class="n">${chain.checkpoints}</td></tr>`,
  );
  return markup`<section id="verification">
<h2>Verification</h2>
<p id="verify-reason">${capitalize(verification.reason)}.</p>
<ul>
<li>${verification.ok ? `Records verified: ${verification.records} (the whole trail, not only the period)` : `Records read: ${verification.records}; verification stopped at the first bad one`}.</li>
<li>Signed checkpoints: ${checkpointState(verification)}.</li>
<li>Witness copies of the checkpoints: ${witnessState(verification)}.</li>
</ul>
<table><thead><tr><th>chain</th><th class="n">records</th><th class="n">head seq</th><th>head hash</th><th class="n">checkpoints matched</th></tr></thead>
<tbody>${chains}</tbody></table>
</section>`;
}

function renderLegend(byResult: Partial<Record<AuditResult, number>>): SafeHtml {
  const items = AUDIT_RESULTS.map(
    (result) =>
      markup`<li data-result="${result}"><span class="swatch s-${result}"></span>${result}: <span class="count">${byResult[result] ?? 0}</span></li>`,
  );
  return markup`<ul class="legend">${items}</ul>`;
}
