// `npm run bench:crash`: the SIGKILL crash campaign (scripts/crash-test.ts) run for
// many trials — 1,000 by default — with its counts recorded in docs/benchmarks.*. A run of the
// crash test made by hand with --json can be recorded instead with --from FILE.
//
//   node bench/crash.ts [--trials 1000] [--parallel 2] [--seed S] [--from crash.json] [--no-write]

import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { numberFlag, parseFlags } from './lib/args.ts';
import { describeMachine } from './lib/machine.ts';
import { saveSection } from './lib/report.ts';
import { round } from './lib/stats.ts';
import type { CrashSummary } from '../scripts/crash/run-crash-trials.ts';

const COMMAND = 'npm run bench:crash';
const { values, usage } = parseFlags(`${COMMAND} --`, {
  trials: { type: 'string', help: 'crash trials (1000)' },
  parallel: { type: 'string', help: 'trials run at a time (2)' },
  seed: { type: 'string', help: 'random seed (random)' },
  from: {
    type: 'string',
    help: 'record the output of `npm run crash-test -- --json` instead of running it',
  },
  'no-write': { type: 'boolean', help: 'print only; leave docs/benchmarks.* alone' },
});
const trials = numberFlag(values, 'trials', 1000, usage);
const parallel = numberFlag(values, 'parallel', 2, usage);
const from = typeof values.from === 'string' ? values.from : undefined;

const startedAt = new Date();
let summary: CrashSummary;
let seconds: number | null;
let command: string;
if (from === undefined) {
  const args = [
    join(import.meta.dirname, '../scripts/crash-test.ts'),
    '--trials',
    String(trials),
    '--parallel',
    String(parallel),
    '--json',
    ...(typeof values.seed === 'string' ? ['--seed', values.seed] : []),
  ];
  console.log(
    `crash campaign — ${startedAt.toISOString()}: ${trials} trials, ${parallel} at a time`,
  );
  const t = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  seconds = (performance.now() - t) / 1000;
  if (output.trim() === '') {
    console.error(`the crash test printed nothing (exit ${code})`);
    process.exit(1);
  }
  summary = JSON.parse(output) as CrashSummary;
  command = `${COMMAND}${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
} else {
  summary = JSON.parse(readFileSync(from, 'utf8')) as CrashSummary;
  // `--json > FILE` creates the file as the run starts and last writes it as the run ends.
  const { birthtimeMs, mtimeMs } = statSync(from);
  seconds = birthtimeMs > 0 && mtimeMs > birthtimeMs ? (mtimeMs - birthtimeMs) / 1000 : null;
  command = `npm run crash-test -- --trials ${summary.trials} --parallel ${parallel} --json (recorded with ${COMMAND} -- --from)`;
  console.log(`recording ${from} (written ${statSync(from).mtime.toISOString()})`);
}

const kills = summary.results.map((r) => r.killAfterMs).sort((a, b) => a - b);
const report = {
  command,
  date: from === undefined ? startedAt.toISOString() : statSync(from).mtime.toISOString(),
  machine: describeMachine(),
  seed: summary.seed,
  trials: summary.trials,
  seconds: seconds === null ? null : round(seconds, 0),
  requestsSent: summary.requestsSent,
  acknowledged: summary.acknowledged,
  cutOff: summary.cutOff,
  recoveredUnknown: summary.recoveredUnknown,
  trialsWithRecovery: summary.trialsWithRecovery,
  violations: summary.violations,
  killAfterMs: { min: kills[0] ?? null, max: kills.at(-1) ?? null },
  firstViolations: summary.results
    .flatMap((r) => r.violations.map((v) => `trial ${r.trial}: ${v}`))
    .slice(0, 20),
};
console.log(
  [
    `seed ${report.seed}`,
    `trials:                     ${report.trials}`,
    `requests sent:              ${report.requestsSent}`,
    `acknowledged revocations:   ${report.acknowledged}`,
    `cut off by the kill:        ${report.cutOff}`,
    `recovered-unknown attempts: ${report.recoveredUnknown} (in ${report.trialsWithRecovery} trials)`,
    `violations:                 ${report.violations}`,
  ].join('\n'),
);
for (const file of await saveSection('crash', report, { write: values['no-write'] !== true })) {
  console.log(`wrote ${file}`);
}
process.exitCode = report.violations === 0 && report.trials > 0 ? 0 : 1;
