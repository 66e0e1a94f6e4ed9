// The report's breakdowns: requests by operation, caller and project with their results, the
// cloud's error codes counted, and every mass revocation listed on its own.

import type { AuditRecord } from '../audit-record.ts';
import { AUDIT_RESULTS, type AuditResult } from '../audit-trail.ts';
import { NO_CALLER, projectName, type ReportSummary, type ResultCounts } from './report-summary.ts';
import { markup, type SafeHtml } from './safe-html.ts';

export function renderBreakdowns(summary: ReportSummary, listed: readonly AuditRecord[]): SafeHtml {
  // Only the results that occur get a column.
  const results = AUDIT_RESULTS.filter((result) => (summary.byResult[result] ?? 0) > 0);
  return markup`<section id="breakdowns">
<h2>Breakdowns</h2>
${countsTable('by-operation', 'By operation', 'operation', summary.byOperation, results)}
${countsTable('by-caller', 'By caller', 'caller', summary.byCaller, results)}
${countsTable('by-project', 'By project', 'project', summary.byProject, results)}
${cloudErrorsTable(summary)}
<div class="breakdown">${massRevocationsTable(summary.massRevocations, listed)}</div>
</section>`;
}

function countsTable(
  id: string,
  title: string,
  what: string,
  counts: ReadonlyMap<string, ResultCounts>,
  results: readonly AuditResult[],
): SafeHtml {
  const head = markup`<tr><th>${what}</th><th class="n">requests</th>${results.map((result) => markup`<th class="n">${result}</th>`)}</tr>`;
  const rows = [...counts].map(
    ([name, row]) =>
      markup`<tr><td class="mono">${name}</td><td class="n">${row.total}</td>${results.map((result) => markup`<td class="n">${row[result] ?? 0}</td>`)}</tr>`,
  );
  const table =
    rows.length === 0
      ? markup`<p class="empty">No requests.</p>`
      : markup`<table id="${id}"><thead>${head}</thead><tbody>${rows}</tbody></table>`;
  return markup`<div class="breakdown"><h3>${title}</h3>${table}</div>`;
}

function cloudErrorsTable(summary: ReportSummary): SafeHtml {
  const rows = summary.cloudErrors.map(
    (error) =>
      markup`<tr><td class="mono">${error.code}</td><td class="n">${error.status ?? '—'}</td><td class="n">${error.count}</td></tr>`,
  );
  const table =
    rows.length === 0
      ? markup`<p class="empty">The cloud returned no error code in this period.</p>`
      : markup`<table id="cloud-errors"><thead><tr><th>code</th><th class="n">HTTP status</th><th class="n">count</th></tr></thead><tbody>${rows}</tbody></table>`;
  return markup`<div class="breakdown"><h3>Cloud error codes</h3>${table}</div>`;
}

function massRevocationsTable(
  mass: readonly AuditRecord[],
  listed: readonly AuditRecord[],
): SafeHtml {
  const indexById = new Map(listed.map((record, index) => [record.id, index]));
  const rows = mass.map((record) => {
    const index = indexById.get(record.id);
    const outcome = record.outcome;
    const result = outcome?.result ?? 'unknown';
    const time =
      index === undefined ? record.time : markup`<a href="#rec-${index}">${record.time}</a>`;
    return markup`<tr><td class="mono">${time}</td><td class="mono">${record.actor.subject ?? NO_CALLER}</td><td class="mono">${projectName(record)}</td><td class="result r-${result}">${result}</td><td class="mono">${outcome?.upstream?.code ?? ''}</td><td class="mono">${record.requestId}</td></tr>`;
  });
  const table =
    rows.length === 0
      ? markup`<p class="empty">None in this period.</p>`
      : markup`<table id="mass-revocations"><thead><tr><th>time</th><th>caller</th><th>project</th><th>result</th><th>cloud code</th><th>request id</th></tr></thead><tbody>${rows}</tbody></table>`;
  return markup`<h3>Mass revocations (every user's ModelArts authorizations at once)</h3>${table}`;
}
