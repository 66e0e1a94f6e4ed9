// `npm run bench:soak`: steady load on the gateway for a long time (10 minutes by default);
// every second the gateway's RSS (from /proc) and its event-loop delay and heap (from its own
// /metrics) are sampled. Flat means the least-squares slope over the run, after a warm-up,
// is near zero: the report gives each slope per minute and the first and last minute's means.
// The gateway runs as it ships: bundled, started by scripts/start.sh with its heap flags.
//
//   node bench/soak.ts [--duration 600] [--rate 1000] [--connections 50] [--log-level info] [--no-write]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGateway } from '../scripts/build.ts';
import { numberFlag, parseFlags } from './lib/args.ts';
import { runLoad } from './lib/load.ts';
import { describeMachine } from './lib/machine.ts';
import { scrapeProcessMetrics, type ProcessMetrics } from './lib/metrics-scrape.ts';
import { phaseMeans, scrapePhaseTotals, type PhaseMeans } from './lib/phase-means.ts';
import { installCleanup, startGatewayProcess, startSimulatorProcess } from './lib/processes.ts';
import { readProcMemory } from './lib/proc-stats.ts';
import { saveSection } from './lib/report.ts';
import { leastSquares, mean, round } from './lib/stats.ts';
import { gatewayLoad, prepareGateway, simulatorCalls } from './lib/workload.ts';

const COMMAND = 'npm run bench:soak';
const { values, usage } = parseFlags(`${COMMAND} --`, {
  duration: { type: 'string', help: 'seconds of load (600)' },
  rate: { type: 'string', help: 'requests per second over all connections (1000)' },
  connections: { type: 'string', help: 'concurrent connections (50)' },
  warmup: { type: 'string', help: 'seconds left out of the slopes at the start (60)' },
  'log-level': { type: 'string', help: 'gateway log level (info)' },
  'node-flags': {
    type: 'string',
    help: 'extra node flags for the gateway (NODE_OPTIONS); heap flags replace those of scripts/heap-flags.sh',
  },
  'no-write': { type: 'boolean', help: 'print only; leave docs/benchmarks.* alone' },
});
const durationSeconds = numberFlag(values, 'duration', 600, usage);
const rate = numberFlag(values, 'rate', 1000, usage);
const connections = numberFlag(values, 'connections', 50, usage);
const warmupSeconds = Math.min(numberFlag(values, 'warmup', 60, usage), durationSeconds / 4);
const logLevel = typeof values['log-level'] === 'string' ? values['log-level'] : 'info';

installCleanup();
const work = mkdtempSync(join(tmpdir(), 'rescind-soak-'));
const startedAt = new Date();
console.log(
  `soak — ${startedAt.toISOString()}: ${durationSeconds} s at ${rate} req/s over ${connections} connections, log ${logLevel}`,
);
const simulator = await startSimulatorProcess();
const setup = await prepareGateway({ dir: work, simUrl: simulator.url, logLevel });
await buildGateway();
const gateway = await startGatewayProcess({
  env: setup.env,
  logFile: join(work, 'gateway.log'),
  shipped: true,
  nodeFlags: nodeFlags(values['node-flags']),
});
const jwt = await setup.jwt('soak', durationSeconds + 3600);
const iamBefore = (await simulatorCalls(simulator.url)).iam ?? 0;

interface Sample extends ProcessMetrics {
  readonly t: number;
  readonly procRssMB: number;
}
const samples: Sample[] = [];
/** Each minute, where a revocation's time went inside the gateway (phase-means.ts). */
const phases: ({ readonly t: number } & PhaseMeans)[] = [];
let phaseTotals = await scrapePhaseTotals(gateway.url);
const t0 = performance.now();
let lastPrint = 0;
const sampler = setInterval(() => {
  void (async () => {
    const t = (performance.now() - t0) / 1000;
    const proc = readProcMemory(gateway.pid);
    if (proc === undefined) return;
    const metrics = await scrapeProcessMetrics(gateway.url).catch(() => ({}));
    samples.push({ t, procRssMB: proc.rss / 2 ** 20, ...metrics });
    if (t - lastPrint >= 60) {
      lastPrint = t;
      const last = samples.at(-1);
      const totals = await scrapePhaseTotals(gateway.url);
      const means = phaseMeans(phaseTotals, totals);
      phaseTotals = totals;
      phases.push({ t, ...means });
      console.log(
        `${Math.round(t)} s: RSS ${last?.procRssMB.toFixed(1)} MB, heap ${last?.heapUsedMB?.toFixed(1)} MB, ` +
          `event-loop p99 ${last?.eventLoopP99Ms?.toFixed(1)} ms; mean request ` +
          `${means.request.toFixed(1)} ms, audit commit ${means.auditCommit.toFixed(1)} ms, ` +
          `upstream ${means.upstream.toFixed(1)} ms`,
      );
    }
  })();
}, 1000);
const load = await runLoad({
  ...gatewayLoad(gateway.url, jwt, {
    connections,
    durationSeconds,
    overallRate: rate,
    paced: true,
  }),
  timeoutSeconds: 20,
});
clearInterval(sampler);
const iamCalls = ((await simulatorCalls(simulator.url)).iam ?? 0) - iamBefore;
await gateway.stop(30_000);
const exit = await gateway.exited;
await simulator.stop();
rmSync(work, { recursive: true, force: true });

const steady = samples.filter((s) => s.t >= warmupSeconds);
const series = (pick: (s: Sample) => number | undefined) =>
  steady
    .map((s) => [s.t / 60, pick(s)] as const)
    .filter((p): p is readonly [number, number] => p[1] !== undefined && Number.isFinite(p[1]));
const trend = (pick: (s: Sample) => number | undefined) => {
  const points = series(pick);
  const fit = leastSquares(points);
  const firstMinute = points.filter(([m]) => m < (points[0]?.[0] ?? 0) + 1).map(([, v]) => v);
  const lastMinute = points.filter(([m]) => m > (points.at(-1)?.[0] ?? 0) - 1).map(([, v]) => v);
  return {
    slopePerMin: round(fit.slope, 4),
    firstMinuteMean: round(mean(firstMinute), 2),
    lastMinuteMean: round(mean(lastMinute), 2),
    max: round(Math.max(...points.map(([, v]) => v)), 2),
    r2: round(fit.r2, 3),
  };
};

function nodeFlags(text: unknown): string[] {
  return typeof text === 'string' ? text.split(/\s+/).filter((flag) => flag !== '') : [];
}

const report = {
  command: `${COMMAND}${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  date: startedAt.toISOString(),
  machine: describeMachine(),
  settings: {
    durationSeconds,
    rate,
    connections,
    logLevel,
    warmupSeconds,
    gatewayNodeFlags: nodeFlags(values['node-flags']),
  },
  load: {
    requests: load.requests,
    rps: round(load.rps, 1),
    latencyMs: {
      p50: round(load.latencyMs.p50, 2),
      p99: round(load.latencyMs.p99, 2),
      p999: round(load.latencyMs.p999, 2),
      max: round(load.latencyMs.max, 2),
    },
    statuses: load.statuses,
    errors: load.errors,
    timeouts: load.timeouts,
  },
  iamCalls,
  samples: samples.length,
  rssMB: trend((s) => s.procRssMB),
  heapUsedMB: trend((s) => s.heapUsedMB),
  eventLoopP99Ms: trend((s) => s.eventLoopP99Ms),
  eventLoopMeanMs: trend((s) => s.eventLoopMeanMs),
  shutdown: { code: exit.code, signal: exit.signal },
  series: samples.map((s) => [
    round(s.t, 1),
    round(s.procRssMB, 1),
    round(s.heapUsedMB ?? Number.NaN, 1),
    round(s.eventLoopP99Ms ?? Number.NaN, 2),
  ]),
  /** Per minute: [t s, mean request ms, mean audit commit ms, mean upstream call ms]. */
  phases: phases.map((p) => [
    round(p.t, 0),
    round(p.request, 2),
    round(p.auditCommit, 2),
    round(p.upstream, 2),
  ]),
};

console.log(
  `\n${load.requests} requests, ${report.load.rps} req/s, p99 ${report.load.latencyMs.p99} ms, ` +
    `errors ${load.errors}, non-2xx ${load.non2xx}, IAM calls ${iamCalls}`,
);
for (const [name, t] of [
  ['RSS (MB)', report.rssMB],
  ['heap used (MB)', report.heapUsedMB],
  ['event-loop p99 (ms)', report.eventLoopP99Ms],
  ['event-loop mean (ms)', report.eventLoopMeanMs],
] as const) {
  console.log(
    `${name.padEnd(22)} slope ${t.slopePerMin}/min, first minute ${t.firstMinuteMean}, last minute ${t.lastMinuteMean}, max ${t.max}`,
  );
}
for (const file of await saveSection('soak', report, { write: values['no-write'] !== true })) {
  console.log(`wrote ${file}`);
}
process.exitCode = load.errors === 0 && load.non2xx === 0 && exit.code === 0 ? 0 : 1;
