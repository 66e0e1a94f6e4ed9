// The table of every record in the period: one row per record, filterable in the page. The
// records themselves travel once, as a JSON data block (never executed); the page's script
// builds a record's detail row (chain position, hashes, full content) when it is opened, with
// text nodes only. Tens of thousands of rows stay light this way.

import type { AuditRecord } from '../audit-record.ts';
import { AUDIT_RESULTS } from '../audit-trail.ts';
import type { ReportData } from './report-data.ts';
import { NO_CALLER, NO_PROJECT, projectName } from './report-summary.ts';
import { jsonData, markup, type SafeHtml } from './safe-html.ts';

export function renderRecordTable(data: ReportData): SafeHtml {
  const bad = data.verification.firstBad;
  const rows = data.records.map((record, index) =>
    recordRow(record, index, bad?.chain === record.chain && bad.seq === record.seq),
  );
  const options = AUDIT_RESULTS.map(
    (result) => markup`<option value="${result}">${result}</option>`,
  );
  const leftOut =
    data.recordsLeftOut > 0
      ? markup`<p class="note" id="left-out">The table lists the first ${data.records.length} records of the period; ${data.recordsLeftOut} more are counted above but not listed. Narrow the period (--since, --until) to list them.</p>`
      : null;
  return markup`<section id="records">
<h2>Records</h2>
${leftOut}
<div class="filters">
<input id="filter" type="search" placeholder="Filter: caller, operation, project, request id, code…" aria-label="Filter records">
<select id="filter-result" aria-label="Result"><option value="">every result</option>${options}<option value="attempt">attempts</option></select>
<span id="shown">${data.records.length} records</span>
</div>
<div class="scroll"><table id="record-table">
<thead><tr><th></th><th>time (UTC)</th><th>chain · seq</th><th>phase</th><th>operation</th><th>caller</th><th>project</th><th>result</th><th>cloud code</th><th>request id</th></tr></thead>
<tbody>
${rows}</tbody>
</table></div>
<script type="application/json" id="record-data">${jsonData(data.records)}</script>
</section>`;
}

function recordRow(record: AuditRecord, index: number, bad: boolean): SafeHtml {
  const result = record.outcome?.result;
  return markup`<tr class="record${bad ? ' bad' : ''}" id="rec-${index}" data-result="${result ?? 'attempt'}" data-chain="${record.chain}" data-seq="${record.seq}"><td><button type="button" class="open" aria-expanded="false" aria-label="Open record">+</button></td><td class="mono nw">${record.time}</td><td class="mono nw">${record.chain} · ${record.seq}</td><td>${record.phase}</td><td class="mono">${record.operation}</td><td class="mono">${record.actor.subject ?? NO_CALLER}</td><td class="mono" title="${projectName(record)}">${record.project.alias ?? record.project.id ?? NO_PROJECT}</td><td class="result${result === undefined ? '' : ` r-${result}`}">${result ?? ''}</td><td class="mono">${record.outcome?.upstream?.code ?? ''}</td><td class="mono">${record.requestId}</td></tr>
`;
}
