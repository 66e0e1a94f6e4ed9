// `npm run audit:report`: one self-contained HTML report of the audit trail (docs/audit-trail.md
// "Reports") from the configured store, configured exactly as the gateway is, or from an NDJSON
// export. Exit 0: written, trail intact. 1: written, trail broken. 2: nothing written.

import { statSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { readWitness, type Witnessed } from '../chain/witness.ts';
import { loadAuditConfig } from '../../config/load-config.ts';
import { fileProgress, storeProgress } from '../cli/audit-progress.ts';
import { createProgress, withProgress } from '../cli/progress.ts';
import { collectReport, DEFAULT_REPORT_MAX_RECORDS, type PassTracker } from './collect-report.ts';
import type { ReportData, ReportPeriod, ReportVerification } from './report-data.ts';
import {
  fileReportSource,
  openConfiguredReportSource,
  type ReportSource,
} from './report-source.ts';
import { renderReport } from './render-report.ts';

const USAGE = `usage: npm run audit:report -- [--since TIME] [--until TIME] [--out FILE] [--from EXPORT.ndjson]

  (no --from)       report on the configured audit store (RESCIND_CONFIG and RESCIND_* as for npm start)
  --from FILE       report on an NDJSON export (npm run audit:export) instead
  --since TIME      records at or after TIME (ISO 8601, e.g. 2026-12-01 or 2026-12-01T08:00:00Z)
  --until TIME      records before TIME
  --out FILE        where to write the HTML (default audit-report.html)
  --max-records N   list at most N records in the table (default ${DEFAULT_REPORT_MAX_RECORDS}); all are counted
  --witness FILE    a log file (or NDJSON) of "audit checkpoint" lines kept off the box: the
                    store must hold every witnessed (chain, seq, hash), as for audit:verify

exit 0: written, trail intact; 1: written, trail broken; 2: nothing written`;

class UsageError extends Error {}
class CannotRead extends Error {}

interface Options {
  readonly period: ReportPeriod;
  readonly out: string;
  readonly from?: string;
  readonly maxRecords: number;
  readonly witness?: string;
}

function parseOptions(argv: readonly string[]): Options | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      since: { type: 'string' },
      until: { type: 'string' },
      out: { type: 'string' },
      from: { type: 'string' },
      'max-records': { type: 'string' },
      witness: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) return 'help';
  const period = {
    ...(values.since !== undefined ? { since: isoTime('--since', values.since) } : {}),
    ...(values.until !== undefined ? { until: isoTime('--until', values.until) } : {}),
  };
  if (period.since !== undefined && period.until !== undefined && period.until < period.since) {
    throw new UsageError('--until must not be before --since');
  }
  const maxRecords = Number(values['max-records'] ?? DEFAULT_REPORT_MAX_RECORDS);
  if (!Number.isSafeInteger(maxRecords) || maxRecords < 0) {
    throw new UsageError('--max-records must be a whole number');
  }
  return {
    period,
    out: values.out ?? 'audit-report.html',
    ...(values.from !== undefined ? { from: values.from } : {}),
    ...(values.witness !== undefined ? { witness: values.witness } : {}),
    maxRecords,
  };
}

function isoTime(flag: string, value: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new UsageError(`${flag} must be an ISO 8601 time, not ${value}`);
  return new Date(time).toISOString();
}

async function openSource(from: string | undefined): Promise<ReportSource> {
  if (from === undefined) return openConfiguredReportSource(loadAuditConfig(process.env));
  const stat = statSync(from, { throwIfNoEntry: false });
  if (stat?.isFile() !== true) throw new CannotRead(`cannot read ${from}: not a file`);
  return fileReportSource(from);
}

/** Progress on stderr when it is a terminal: the verifying pass knows the trail's size. */
function progressOf(source: ReportSource): PassTracker {
  return <T>(pass: 'verify' | 'records', items: AsyncIterable<T>): AsyncIterable<T> => {
    if (pass === 'records') {
      const progress = createProgress({
        stream: process.stderr,
        clock: () => performance.now(),
        label: 'audit:report: reading the period',
      });
      return withProgress(items, progress);
    }
    const label = 'audit:report: verifying';
    if (source.store !== undefined) return storeProgress(label, source.store, items);
    return source.file !== undefined ? fileProgress(label, source.file, items) : items;
  };
}

function whoRuns(): string {
  let user = process.env.USER ?? 'unknown user';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (a container's arbitrary uid): keep the environment's name.
  }
  return `${user}@${hostname()} (npm run audit:report)`;
}

function verdictOf(verification: ReportVerification): string {
  if (verification.ok) return 'trail intact';
  const bad = verification.firstBad;
  const where =
    bad?.seq === undefined
      ? ''
      : ` at seq ${bad.seq}${bad.chain === undefined ? '' : ` of chain ${bad.chain}`}`;
  return `trail BROKEN${where}: ${verification.reason}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Gathers, renders and writes the report; the exit code. */
async function writeReport(options: Options, source: ReportSource): Promise<number> {
  let data: ReportData;
  try {
    data = await collectReport(source, {
      period: options.period,
      generatedBy: whoRuns(),
      generatedAt: new Date().toISOString(),
      maxRecords: options.maxRecords,
      track: progressOf(source),
      ...(options.witness !== undefined ? { witness: await readWitnessFile(options.witness) } : {}),
    });
  } catch (error) {
    console.error(`audit:report: cannot read ${source.label}: ${messageOf(error)}`);
    return 2;
  }
  try {
    writeFileSync(options.out, renderReport(data).html, { mode: 0o600 });
  } catch (error) {
    console.error(`audit:report: cannot write ${options.out}: ${messageOf(error)}`);
    return 2;
  }
  console.log(
    `audit:report: wrote ${options.out}: ${data.summary.records} records in the period; ${verdictOf(data.verification)}`,
  );
  return data.verification.ok ? 0 : 1;
}

async function readWitnessFile(path: string): Promise<Witnessed[]> {
  const witnessed = await readWitness(path);
  if (witnessed.length === 0) throw new Error(`${path} holds no "audit checkpoint" lines`);
  return witnessed;
}

async function main(argv: readonly string[]): Promise<number> {
  let options: Options | 'help';
  let source: ReportSource;
  try {
    options = parseOptions(argv);
    if (options === 'help') {
      console.log(USAGE);
      return 0;
    }
    source = await openSource(options.from);
  } catch (error) {
    console.error(`audit:report: ${messageOf(error)}`);
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      console.error(USAGE);
    }
    return 2;
  }
  try {
    return await writeReport(options, source);
  } finally {
    await source.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
