// `npm run crash-test`: kills a loaded gateway with SIGKILL at random moments, restarts it on
// the same audit store, and checks that every `revoked` a client saw has its committed outcome,
// that the attempts the dead process left open were closed as `unknown`, and that the chain
// verifies(docs/api.md "Audit records"). Exit 0 with no violation, 1 with any, 2 on bad flags.
//
//   npm run crash-test -- [--trials N] [--parallel N] [--concurrency N] [--seed S] [--json]

import { parseArgs } from 'node:util';
import { killLiveGateways } from './lib/gateway-process.ts';
import { runCrashTrials, type CrashSummary, type TrialResult } from './crash/run-crash-trials.ts';

const USAGE =
  'usage: npm run crash-test -- [--trials N (20)] [--parallel N (2)] [--concurrency N (16)] [--seed S] [--json]';

function count(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`crash-test: --${name} must be a positive integer, got "${value}"`);
    console.error(USAGE);
    process.exit(2);
  }
  return n;
}

let values;
try {
  values = parseArgs({
    options: {
      trials: { type: 'string' },
      parallel: { type: 'string' },
      concurrency: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  }).values;
} catch (error) {
  console.error(`crash-test: ${error instanceof Error ? error.message : String(error)}`);
  console.error(USAGE);
  process.exit(2);
}
if (values.help === true) {
  console.log(USAGE);
  process.exit(0);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killLiveGateways();
    process.exit(130);
  });
}

const json = values.json === true;
const summary = await runCrashTrials({
  trials: count('trials', values.trials, 20),
  parallel: count('parallel', values.parallel, 2),
  concurrency: count('concurrency', values.concurrency, 16),
  ...(values.seed !== undefined ? { seed: count('seed', values.seed, 0) } : {}),
  ...(json ? {} : { onTrial: printTrial }),
});

if (json) console.log(JSON.stringify(summary));
else printSummary(summary);
process.exitCode = summary.violations === 0 && summary.trials > 0 ? 0 : 1;

function printTrial(result: TrialResult): void {
  console.log(
    `trial ${result.trial}: killed ${result.killAfterMs} ms into the load; ${result.requestsSent} sent, ` +
      `${result.acknowledged} acknowledged revoked, ${result.cutOff} cut off, ` +
      `${result.recoveredUnknown} recovered as unknown, ${result.records} records, ` +
      `${result.violations.length} violations`,
  );
  for (const violation of result.violations) console.log(`  VIOLATION: ${violation}`);
}

function printSummary(summary: CrashSummary): void {
  console.log(
    [
      '',
      `seed ${summary.seed}`,
      `trials:                     ${summary.trials}`,
      `requests sent:              ${summary.requestsSent}`,
      `acknowledged revocations:   ${summary.acknowledged}`,
      `cut off by the kill:        ${summary.cutOff}`,
      `recovered-unknown attempts: ${summary.recoveredUnknown} (in ${summary.trialsWithRecovery} trials)`,
      `violations:                 ${summary.violations}`,
    ].join('\n'),
  );
}
