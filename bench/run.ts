// `npm run bench`: the same revocation workload, in one run on one machine, against
//   (a) the cloud simulator directly — the limit,
//   (b) a bare http-proxy-middleware passthrough in front of it,
//   (c) nginx proxy_pass in front of it (when nginx is installed; skipped with a note if not),
//   (d) Rescind with its full pipeline (JWT, rate limit, durable SQLite audit with group commit,
//       token cache, translation, normalization), once per log level asked for.
// Each server is its own process and so is the load generator (autocannon); all on loopback.
// Servers are measured in alternating rounds to spread drift; the median per server is
// reported. Then the latency Rescind adds at half its maximum rate, start-up to ready, and the
// targets listed in docs/benchmarks.md. Figures go to bench/results/ and, unless --no-write, docs/benchmarks.*.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numberFlag, parseFlags } from './lib/args.ts';
import { runLoad, type LoadResult, type LoadSpec } from './lib/load.ts';
import { describeMachine } from './lib/machine.ts';
import {
  findNginx,
  installCleanup,
  startGatewayProcess,
  startNginxProcess,
  startPassthroughProcess,
  startSimulatorProcess,
  type GatewayProcess,
  type ServerProcess,
} from './lib/processes.ts';
import { readProcCpuSeconds, sampleRss } from './lib/proc-stats.ts';
import { saveSection, resultsDir } from './lib/report.ts';
import { median, round } from './lib/stats.ts';
import {
  cloudLoad,
  fetchIamToken,
  gatewayLoad,
  prepareGateway,
  simulatorCalls,
  type GatewaySetup,
} from './lib/workload.ts';

const COMMAND = 'npm run bench';
const { values, usage } = parseFlags(`${COMMAND} --`, {
  duration: { type: 'string', help: 'seconds per measured run (10)' },
  warmup: { type: 'string', help: 'seconds of warm-up per server before its first run (3)' },
  rounds: { type: 'string', help: 'alternating rounds; the median per server is reported (2)' },
  connections: { type: 'string', help: 'concurrent connections of the load generator (200)' },
  'log-levels': {
    type: 'string',
    help: 'gateway log levels to measure; the first is the headline (info,warn)',
  },
  'startup-trials': { type: 'string', help: 'gateway starts timed to /readyz (5)' },
  'skip-nginx': { type: 'boolean', help: 'do not measure nginx even if installed' },
  'cpu-prof': { type: 'boolean', help: 'write a V8 CPU profile of each gateway to bench/results/' },
  entry: {
    type: 'string',
    help: 'src (src/main.ts as npm start runs it, default) or dist (compiled first, as the container runs it)',
  },
  'node-flags': {
    type: 'string',
    help: "node flags for the gateway (default: those of package.json's start script)",
  },
  'no-write': { type: 'boolean', help: 'print only; leave docs/benchmarks.* alone' },
});
const durationSeconds = numberFlag(values, 'duration', 10, usage);
const entry = values.entry ?? 'src';
if (entry !== 'src' && entry !== 'dist') {
  console.error(`--entry must be src or dist, got "${String(entry)}"`);
  process.exit(2);
}
const gatewayMain = entry === 'dist' ? buildDist() : undefined;
const gatewayFlags =
  typeof values['node-flags'] === 'string'
    ? values['node-flags'].split(' ').filter((flag) => flag !== '')
    : startScriptNodeFlags();
const warmupSeconds = numberFlag(values, 'warmup', 3, usage);
const rounds = numberFlag(values, 'rounds', 2, usage);
const connections = numberFlag(values, 'connections', 200, usage);
const startupTrials = numberFlag(values, 'startup-trials', 5, usage);
const logLevels = String(values['log-levels'] ?? 'info,warn')
  .split(',')
  .map((level) => level.trim())
  .filter((level) => level !== '');
if (
  logLevels.length === 0 ||
  logLevels.some((l) => !/^(trace|debug|info|warn|error|fatal)$/.test(l))
) {
  console.error(`--log-levels must name pino levels, got "${String(values['log-levels'])}"`);
  process.exit(2);
}

/** The targets the benchmark reports as met or missed. */
const TARGETS = {
  ratioToPassthrough: 0.5,
  ratioToNginx: 0.3,
  addedP99Ms: 5,
  peakRssMB: 150,
  startupMs: 1000,
};

interface Target {
  readonly key: string;
  readonly label: string;
  readonly server: ServerProcess;
  /** Set for the gateway: its setup and the run's log level. */
  readonly gateway?: { readonly setup: GatewaySetup; readonly logLevel: string };
  load(
    shape: Pick<LoadSpec, 'connections' | 'durationSeconds' | 'overallRate' | 'paced'>,
  ): LoadSpec;
}

interface RunFigures extends LoadResult {
  readonly round: number;
  readonly iamCalls: number;
  readonly serverCpuMsPerRequest?: number;
  readonly peakRssMB?: number;
}

installCleanup();
const work = mkdtempSync(join(tmpdir(), 'rescind-bench-'));
const nginxBinary = values['skip-nginx'] === true ? undefined : findNginx();
const machine = describeMachine(nginxBinary);
const startedAt = new Date();

log(`rescind benchmark — ${startedAt.toISOString()}`);
log(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, node ${machine.node}` +
    (machine.nginx === undefined ? '' : `, nginx ${machine.nginx}`),
);
log(`gateway: node ${[...gatewayFlags, gatewayMain ?? 'src/main.ts'].join(' ')}`);
log(
  `workload: KMS revoke-grant, ${connections} connections, ${durationSeconds} s per run, ` +
    `${rounds} alternating rounds, ${warmupSeconds} s warm-up; all processes on loopback`,
);

const simulator = await startSimulatorProcess();
const iamToken = await fetchIamToken(simulator.url);
const servers: ServerProcess[] = [simulator];
const targets: Target[] = [
  {
    key: 'simulator',
    label: '(a) simulator direct',
    server: simulator,
    load: (shape) => cloudLoad(simulator.url, iamToken, shape),
  },
];
const passthrough = await startPassthroughProcess(simulator.url);
servers.push(passthrough);
targets.push({
  key: 'passthrough',
  label: '(b) http-proxy-middleware',
  server: passthrough,
  load: (shape) => cloudLoad(passthrough.url, iamToken, shape),
});
if (nginxBinary === undefined) {
  log(
    values['skip-nginx'] === true
      ? 'nginx: skipped (--skip-nginx)'
      : 'nginx: not installed, (c) skipped (Debian: apt-get install nginx-light)',
  );
} else {
  const nginxDir = join(work, 'nginx');
  rmSync(nginxDir, { recursive: true, force: true });
  const { mkdirSync } = await import('node:fs');
  mkdirSync(nginxDir, { recursive: true });
  const nginx = await startNginxProcess(nginxBinary, simulator.url, nginxDir);
  servers.push(nginx);
  targets.push({
    key: 'nginx',
    label: '(c) nginx proxy_pass',
    server: nginx,
    load: (shape) => cloudLoad(nginx.url, iamToken, shape),
  });
}

const gateways: GatewayProcess[] = [];
for (const logLevel of logLevels) {
  const dir = join(work, `gateway-${logLevel}`);
  const setup = await prepareGateway({ dir, simUrl: simulator.url, logLevel });
  const gateway = await startGatewayProcess({
    env: setup.env,
    logFile: join(dir, 'gateway.log'),
    ...(gatewayMain === undefined ? {} : { main: gatewayMain }),
    nodeFlags: [
      ...gatewayFlags,
      ...(values['cpu-prof'] === true
        ? ['--cpu-prof', `--cpu-prof-dir=${join(resultsDir(), 'profiles')}`]
        : []),
    ],
  });
  gateways.push(gateway);
  servers.push(gateway);
  const jwt = await setup.jwt();
  targets.push({
    key: `rescind-${logLevel}`,
    label: `(d) rescind, log ${logLevel}`,
    server: gateway,
    gateway: { setup, logLevel },
    load: (shape) => gatewayLoad(gateway.url, jwt, shape),
  });
}
const headline = targets.find((t) => t.key === `rescind-${logLevels[0] ?? 'info'}`);
if (headline === undefined) throw new Error('no headline gateway');

// Warm-up: JIT, connection pools, the gateway's first token exchange (counted as its IAM call).
const iamCallsOf = new Map<string, number>();
for (const target of targets) {
  const before = (await simulatorCalls(simulator.url)).iam ?? 0;
  await runLoad(target.load({ connections, durationSeconds: warmupSeconds }));
  const after = (await simulatorCalls(simulator.url)).iam ?? 0;
  iamCallsOf.set(target.key, after - before);
}

const runs = new Map<string, RunFigures[]>(targets.map((t) => [t.key, []]));
for (let round = 1; round <= rounds; round += 1) {
  const order = round % 2 === 1 ? targets : [...targets].reverse();
  for (const target of order) {
    const figures = await measure(target, { connections, durationSeconds }, round);
    runs.get(target.key)?.push(figures);
    log(
      `round ${round} ${target.label.padEnd(28)} ${fmt(figures.rps, 0).padStart(7)} req/s  ` +
        `p50 ${fmt(figures.latencyMs.p50)} p99 ${fmt(figures.latencyMs.p99)} p99.9 ${fmt(figures.latencyMs.p999)} ms  ` +
        `errors ${figures.errors} non-2xx ${figures.non2xx}` +
        (figures.peakRssMB === undefined ? '' : `  rss ${fmt(figures.peakRssMB, 0)} MB`),
    );
  }
}

const summary = targets.map((target) => summarize(target, runs.get(target.key) ?? []));
const byKey = new Map(summary.map((s) => [s.key, s]));
const d = byKey.get(headline.key);
const a = byKey.get('simulator');
const b = byKey.get('passthrough');
const c = byKey.get('nginx');
if (d === undefined || a === undefined || b === undefined) throw new Error('missing figures');

// Latency Rescind adds at half its maximum rate: the simulator alone and Rescind in front of
// it, each driven at that rate, in alternating rounds.
const halfRate = Math.max(1, Math.round(d.rps / 2));
log(`latency at half of Rescind's maximum rate: ${halfRate} req/s`);
const halfRuns: Record<'simulator' | 'rescind', RunFigures[]> = { simulator: [], rescind: [] };
const simTarget = targets[0];
if (simTarget === undefined) throw new Error('no simulator target');
for (let round = 1; round <= rounds; round += 1) {
  const pair: [keyof typeof halfRuns, Target][] = [
    ['simulator', simTarget],
    ['rescind', headline],
  ];
  for (const [key, target] of round % 2 === 1 ? pair : pair.reverse()) {
    const figures = await measure(
      target,
      { connections, durationSeconds, overallRate: halfRate, paced: true },
      round,
    );
    halfRuns[key].push(figures);
    log(
      `round ${round} ${target.label.padEnd(28)} @${halfRate}/s ${fmt(figures.rps, 0)} req/s  ` +
        `p50 ${fmt(figures.latencyMs.p50)} p99 ${fmt(figures.latencyMs.p99)} p99.9 ${fmt(figures.latencyMs.p999)} ms`,
    );
  }
}
const halfSim = medianLatency(halfRuns.simulator);
const halfRescind = medianLatency(halfRuns.rescind);
const addedP99 = halfRescind.p99 - halfSim.p99;

// Start-up to ready: a fresh process on an empty audit store, spawn → first 200 from /readyz.
const startups: { listenMs: number; readyMs: number }[] = [];
for (let trial = 1; trial <= startupTrials; trial += 1) {
  const dir = join(work, `startup-${trial}`);
  const setup = await prepareGateway({
    dir,
    simUrl: simulator.url,
    logLevel: logLevels[0] ?? 'info',
  });
  const gateway = await startGatewayProcess({
    env: setup.env,
    logFile: join(dir, 'gateway.log'),
    nodeFlags: gatewayFlags,
    ...(gatewayMain === undefined ? {} : { main: gatewayMain }),
  });
  startups.push({ listenMs: gateway.listenMs, readyMs: gateway.readyMs });
  await gateway.stop();
}
const startupMedian = median(startups.map((s) => s.readyMs));
const startupMax = Math.max(...startups.map((s) => s.readyMs));

for (const server of [...servers].reverse()) await server.stop();
rmSync(work, { recursive: true, force: true });

const ratios = {
  toSimulator: d.rps / a.rps,
  toPassthrough: d.rps / b.rps,
  ...(c === undefined ? {} : { toNginx: d.rps / c.rps }),
};
const targetsMet = [
  {
    target: `Rescind ≥ ${TARGETS.ratioToPassthrough * 100} % of the passthrough's req/s`,
    value: `${fmt(ratios.toPassthrough * 100, 1)} %`,
    met: ratios.toPassthrough >= TARGETS.ratioToPassthrough,
  },
  c === undefined
    ? {
        target: `Rescind ≥ ${TARGETS.ratioToNginx * 100} % of nginx's req/s`,
        value: 'nginx not installed',
        met: null,
      }
    : {
        target: `Rescind ≥ ${TARGETS.ratioToNginx * 100} % of nginx's req/s`,
        value: `${fmt((ratios.toNginx ?? 0) * 100, 1)} %`,
        met: (ratios.toNginx ?? 0) >= TARGETS.ratioToNginx,
      },
  {
    target: `p99 added latency ≤ ${TARGETS.addedP99Ms} ms at half of Rescind's maximum rate`,
    value: `${fmt(addedP99)} ms (p99 ${fmt(halfRescind.p99)} vs ${fmt(halfSim.p99)} ms at ${halfRate} req/s)`,
    met: addedP99 <= TARGETS.addedP99Ms,
  },
  {
    target: 'exactly one IAM call per scope during the run',
    value: `${d.iamCalls} IAM call(s), 1 scope`,
    met: d.iamCalls === 1,
  },
  {
    target: `peak RSS ≤ ${TARGETS.peakRssMB} MB at 200 connections`,
    value: `${fmt(d.peakRssMB ?? Number.NaN, 0)} MB at ${connections} connections`,
    met: connections >= 200 ? (d.peakRssMB ?? Infinity) <= TARGETS.peakRssMB : null,
  },
  {
    target: `start-up to ready ≤ ${TARGETS.startupMs} ms`,
    value: `median ${fmt(startupMedian, 0)} ms, max ${fmt(startupMax, 0)} ms over ${startups.length} starts`,
    met: startupMax <= TARGETS.startupMs,
  },
];

const report = {
  command: `${COMMAND}${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  date: startedAt.toISOString(),
  machine,
  settings: {
    connections,
    durationSeconds,
    warmupSeconds,
    rounds,
    logLevels,
    headline: headline.key,
    gatewayNodeFlags: gatewayFlags,
    entry,
  },
  servers: summary,
  ratios,
  halfRate: {
    rate: halfRate,
    simulator: halfSim,
    rescind: halfRescind,
    addedP99Ms: addedP99,
    runs: halfRuns,
  },
  startup: { medianMs: startupMedian, maxMs: startupMax, trials: startups },
  targets: targetsMet,
  runs: Object.fromEntries(runs),
};

log('');
log(
  `${'server'.padEnd(28)} ${'req/s'.padStart(8)} ${'p50'.padStart(7)} ${'p99'.padStart(7)} ${'p99.9'.padStart(7)} ${'errors'.padStart(7)} ${'non2xx'.padStart(7)} ${'peakRSS'.padStart(8)} ${'IAM'.padStart(4)} ${'cpu/req'.padStart(8)}`,
);
for (const s of summary) {
  log(
    `${s.label.padEnd(28)} ${fmt(s.rps, 0).padStart(8)} ${fmt(s.latencyMs.p50).padStart(7)} ${fmt(s.latencyMs.p99).padStart(7)} ${fmt(s.latencyMs.p999).padStart(7)} ${String(s.errors).padStart(7)} ${String(s.non2xx).padStart(7)} ${(s.peakRssMB === undefined ? '—' : `${fmt(s.peakRssMB, 0)} MB`).padStart(8)} ${(s.iamCalls === undefined ? '—' : String(s.iamCalls)).padStart(4)} ${(s.cpuMsPerRequest === undefined ? '—' : fmt(s.cpuMsPerRequest, 3)).padStart(8)}`,
  );
}
log('');
log(
  `ratios (d = ${headline.label}): d/a ${fmt(ratios.toSimulator * 100, 1)} %, d/b ${fmt(ratios.toPassthrough * 100, 1)} %` +
    (ratios.toNginx === undefined
      ? ', d/c — (no nginx)'
      : `, d/c ${fmt(ratios.toNginx * 100, 1)} %`),
);
log('targets:');
for (const t of targetsMet) {
  log(`  [${t.met === null ? 'n/a' : t.met ? 'met' : 'MISSED'}] ${t.target}: ${t.value}`);
}
const written = await saveSection('bench', report, { write: values['no-write'] !== true });
log('');
for (const file of written) log(`wrote ${file}`);

/** Compiles src/ as `npm run build` does, into .tmp/ (ignored), and returns its main.js. */
function buildDist(): string {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const outDir = join(root, '.tmp/bench-dist');
  const result = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules/typescript/bin/tsc'),
      '-p',
      'tsconfig.build.json',
      '--outDir',
      outDir,
    ],
    { cwd: root, stdio: 'inherit' },
  );
  if (result.status !== 0) throw new Error('tsc -p tsconfig.build.json failed');
  return join(outDir, 'main.js');
}

/** The node flags `npm start` runs the gateway with: its script's words before the entry point. */
function startScriptNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const words = (pkg.scripts?.start ?? '').split(/\s+/);
  const entry = words.findIndex((word) => word.endsWith('main.ts') || word.endsWith('main.js'));
  return words.slice(1, entry === -1 ? 1 : entry).filter((word) => word.startsWith('--'));
}

function summarize(target: Target, list: readonly RunFigures[]) {
  const latency = medianLatency(list);
  const peak = list.map((r) => r.peakRssMB).filter((v): v is number => v !== undefined);
  const cpu = list.map((r) => r.serverCpuMsPerRequest).filter((v): v is number => v !== undefined);
  return {
    key: target.key,
    label: target.label,
    rps: median(list.map((r) => r.rps)),
    rpsRuns: list.map((r) => round(r.rps, 0)),
    latencyMs: latency,
    errors: list.reduce((sum, r) => sum + r.errors, 0),
    non2xx: list.reduce((sum, r) => sum + r.non2xx, 0),
    requests: list.reduce((sum, r) => sum + r.requests, 0),
    ...(peak.length === 0 ? {} : { peakRssMB: Math.max(...peak) }),
    ...(target.gateway === undefined
      ? {}
      : {
          logLevel: target.gateway.logLevel,
          iamCalls:
            (iamCallsOf.get(target.key) ?? 0) + list.reduce((sum, r) => sum + r.iamCalls, 0),
        }),
    ...(cpu.length === 0 ? {} : { cpuMsPerRequest: median(cpu) }),
  };
}

function medianLatency(list: readonly LoadResult[]) {
  return {
    p50: median(list.map((r) => r.latencyMs.p50)),
    p90: median(list.map((r) => r.latencyMs.p90)),
    p99: median(list.map((r) => r.latencyMs.p99)),
    p999: median(list.map((r) => r.latencyMs.p999)),
    max: Math.max(...list.map((r) => r.latencyMs.max)),
  };
}

async function measure(
  target: Target,
  shape: Pick<LoadSpec, 'connections' | 'durationSeconds' | 'overallRate' | 'paced'>,
  roundNo: number,
): Promise<RunFigures> {
  const pid = target.server.pid;
  const gateway = target.gateway !== undefined;
  const rss = sampleRss(pid, 100);
  const cpuBefore = readProcCpuSeconds(pid);
  const iamBefore = (await simulatorCalls(simulator.url)).iam ?? 0;
  const result = await runLoad(target.load(shape));
  const iamAfter = (await simulatorCalls(simulator.url)).iam ?? 0;
  const cpuAfter = readProcCpuSeconds(pid);
  rss.stop();
  const cpuMsPerRequest =
    cpuBefore === undefined || cpuAfter === undefined || result.requests === 0
      ? undefined
      : ((cpuAfter - cpuBefore) * 1000) / result.requests;
  return {
    ...result,
    round: roundNo,
    iamCalls: gateway ? iamAfter - iamBefore : 0,
    ...(cpuMsPerRequest === undefined ? {} : { serverCpuMsPerRequest: cpuMsPerRequest }),
    peakRssMB: rss.peak() / 2 ** 20,
  };
}

function fmt(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '—';
}

function log(line: string): void {
  console.log(line);
}
