// The report's own stylesheet and script, inlined into the file and allowed by the page's
// Content-Security-Policy through their SHA-256 hashes: nothing else may run or style the page.
// Plain ES5-level JavaScript, no library: filtering the record table and opening a record.

import { trusted } from './safe-html.ts';

export const REPORT_STYLE = trusted`
:root { color-scheme: light; --ok: #1b5e20; --ok-bg: #e8f5e9; --bad: #b71c1c; --bad-bg: #ffebee; --line: #ddd; --muted: #555; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111; background: #fafafa; }
main { max-width: 1400px; margin: 0 auto; padding: 0 20px 40px; }
.banner { margin: 0; padding: 14px 20px; font-size: 16px; border-bottom: 3px solid; }
.banner.ok { background: var(--ok-bg); color: var(--ok); border-color: var(--ok); }
.banner.broken { background: var(--bad-bg); color: var(--bad); border-color: var(--bad); font-size: 18px; }
.banner .detail { display: block; font-size: 14px; margin-top: 4px; color: #222; }
h1 { font-size: 22px; margin: 20px 0 6px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f0f0f0; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; }
.breakdown, .scroll { overflow-x: auto; }
.breakdown table { width: auto; min-width: 60%; }
.nw { white-space: nowrap; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 6px 0 0; padding: 0; list-style: none; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
svg.timeline { width: 100%; height: auto; background: #fff; border: 1px solid var(--line); }
svg.timeline .grid { stroke: #e0e0e0; }
svg.timeline text { font-size: 11px; fill: #555; }
.empty, .note { color: var(--muted); }
.filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 8px 0; }
.filters input { min-width: 320px; padding: 4px 6px; }
tr.record { cursor: pointer; }
tr.record:hover, tr.record.open { background: #f3f7ff; }
tr.record.bad { background: var(--bad-bg); }
tr.detail td { background: #fcfcfc; }
tr.detail pre { margin: 6px 0; white-space: pre-wrap; word-break: break-all; }
button.open { font: inherit; padding: 0 6px; cursor: pointer; }
.result { font-weight: 600; }
.r-revoked { color: #2e7d32; } .r-failed { color: #c62828; } .r-denied { color: #ef6c00; }
.r-invalid { color: #8e24aa; } .r-unauthenticated { color: #6d4c41; } .r-rate-limited { color: #0277bd; } .r-unknown { color: #757575; }
.s-revoked { background: #2e7d32; } .s-failed { background: #c62828; } .s-denied { background: #ef6c00; }
.s-invalid { background: #8e24aa; } .s-unauthenticated { background: #6d4c41; } .s-rate-limited { background: #0277bd; } .s-unknown { background: #757575; }
`;

export const REPORT_SCRIPT = trusted`
(function () {
  'use strict';
  var table = document.getElementById('record-table');
  var data = document.getElementById('record-data');
  if (!table || !data) return;
  var records = JSON.parse(data.textContent);
  var rows = Array.prototype.slice.call(table.querySelectorAll('tr.record'));
  var input = document.getElementById('filter');
  var result = document.getElementById('filter-result');
  var shown = document.getElementById('shown');
  var texts = null;

  function leaves(value, out) {
    if (value === null || typeof value !== 'object') out.push(String(value));
    else Object.keys(value).forEach(function (key) { leaves(value[key], out); });
    return out;
  }
  function searchable() {
    if (texts === null) {
      texts = rows.map(function (row, index) {
        return (row.textContent + ' ' + leaves(records[index], []).join(' ')).toLowerCase();
      });
    }
    return texts;
  }
  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function detailOf(row) {
    var record = records[Number(row.id.slice(4))];
    var position = 'seq ' + record.seq + ' of chain ' + record.chain +
      (row.classList.contains('bad') ? ' — the first bad record' : '');
    var list = element('dl', 'meta');
    [['position', position, ''], ['hash', record.hash, 'mono hash'],
      ['prevHash', record.prevHash, 'mono'], ['id', record.id, 'mono']].forEach(function (item) {
      list.appendChild(element('dt', '', item[0]));
      list.appendChild(element('dd', item[2], String(item[1])));
    });
    var cell = element('td');
    cell.colSpan = row.children.length;
    cell.appendChild(list);
    cell.appendChild(element('pre', 'content', JSON.stringify(record, null, 2)));
    var detail = element('tr', 'detail');
    detail.appendChild(cell);
    return detail;
  }
  function setOpen(row, open) {
    var next = row.nextElementSibling;
    var detail = next && next.classList.contains('detail') ? next : null;
    if (open && !detail) {
      detail = detailOf(row);
      row.parentNode.insertBefore(detail, next);
    }
    if (detail) detail.hidden = !open;
    row.classList.toggle('open', open);
    row.querySelector('button.open').setAttribute('aria-expanded', String(open));
  }
  function apply() {
    var query = input.value.trim().toLowerCase();
    var wanted = result.value;
    var all = query === '' ? null : searchable();
    var count = 0;
    rows.forEach(function (row, index) {
      var match = (all === null || all[index].indexOf(query) !== -1) &&
        (wanted === '' || row.getAttribute('data-result') === wanted);
      if (row.hidden === match) row.hidden = !match;
      if (match) count += 1;
      else if (row.classList.contains('open')) setOpen(row, false);
    });
    shown.textContent = count + ' of ' + rows.length + ' records shown';
  }
  table.addEventListener('click', function (event) {
    var row = event.target.closest('tr.record');
    if (row) setOpen(row, !row.classList.contains('open'));
  });
  function openLinked() {
    var target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    if (target && target.classList.contains('record')) {
      target.hidden = false;
      setOpen(target, true);
    }
  }
  input.addEventListener('input', apply);
  result.addEventListener('change', apply);
  window.addEventListener('hashchange', openLinked);
  shown.textContent = rows.length + ' of ' + rows.length + ' records shown';
  openLinked();
})();
`;
