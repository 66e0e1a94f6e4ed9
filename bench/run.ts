// `npm run bench`: the same revocation workload, in one run on one machine, against
//   (a) the cloud simulator directly — the limit,
//   (b) a bare http-proxy-middleware passthrough in front of it,
//   (c) nginx proxy_pass in front of it (when nginx is installed; skipped with a note if not),
//   (d) Rescind with its full pipeline (JWT, rate limit, durable SQLite audit with group commit,
//       token cache, translation, normalization), once per log level asked for,
//   (e) the durable floor: a bare Node server that only commits two records durably and calls
//       the cloud once per request (bench/servers/durable-floor.ts), the least an audited
//       gateway does on this machine.
// Each server is its own process and so is the load generator (autocannon); all on loopback.
// Servers are measured in alternating rounds to spread drift; the median per server is
// reported. Then the latency Rescind and the floor add at half Rescind's maximum rate, this
// machine's fsync latency, start-up to ready, and the targets of bench/lib/targets.ts. The
// gateway runs as it ships: bundled (scripts/build.ts) and started by scripts/start.sh with its
// heap flags.
// Figures go to bench/results/ and, unless --no-write, docs/benchmarks.*.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildGateway } from '../scripts/build.ts';
import { numberFlag, parseFlags } from './lib/args.ts';
import { measureFsync } from './lib/fsync-probe.ts';
import { measureNodeFloor } from './lib/node-floor.ts';
import { phaseMeans, scrapePhaseTotals, type PhaseMeans } from './lib/phase-means.ts';
import { runLoad, type LoadResult, type LoadSpec } from './lib/load.ts';
import { describeMachine } from './lib/machine.ts';
import {
  findNginx,
  installCleanup,
  startGatewayProcess,
  startDurableFloorProcess,
  startNginxProcess,
  startPassthroughProcess,
  startSimulatorProcess,
  type GatewayProcess,
  type ServerProcess,
} from './lib/processes.ts';
import {
  readProcCpuSeconds,
  readProcMemory,
  readThreadCpuSeconds,
  sampleRss,
} from './lib/proc-stats.ts';
import { saveSection, resultsDir } from './lib/report.ts';
import { median, round } from './lib/stats.ts';
import { evaluateTargets } from './lib/targets.ts';
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
  'keep-work': {
    type: 'boolean',
    help: "keep the run's temp dir (gateway logs, audit stores) and print its path",
  },
  entry: {
    type: 'string',
    help: 'start (bundled first, then scripts/start.sh, as npm start and the container run it; default) or src (node src/main.ts)',
  },
  'node-flags': {
    type: 'string',
    help: 'extra node flags for the gateway; heap flags replace those of scripts/heap-flags.sh',
  },
  'gateway-config': {
    type: 'string',
    help: 'JSON merged into the gateway\'s config file, for A/B runs (e.g. {"audit":{"sqliteWorker":true}})',
  },
  'gateway-env': {
    type: 'string',
    help: 'extra environment variables for the gateway, for A/B runs (e.g. MALLOC_ARENA_MAX=2,FOO=1)',
  },
  'no-write': { type: 'boolean', help: 'print only; leave docs/benchmarks.* alone' },
});
const durationSeconds = numberFlag(values, 'duration', 10, usage);
const entry = values.entry ?? 'start';
if (entry !== 'src' && entry !== 'start') {
  console.error(`--entry must be start or src, got "${String(entry)}"`);
  process.exit(2);
}
if (entry === 'start') await buildGateway();
const shipped = entry === 'start';
const gatewayFlags =
  typeof values['node-flags'] === 'string'
    ? values['node-flags'].split(' ').filter((flag) => flag !== '')
    : [];
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

const gatewayConfig = parseGatewayConfig(values['gateway-config']);
const gatewayEnv = parseGatewayEnv(values['gateway-env']);
/** Seconds a fresh gateway is left alone before its idle RSS is read. */
const IDLE_SETTLE_SECONDS = 2;

interface Target {
  readonly key: string;
  readonly label: string;
  readonly server: ServerProcess;
  /** Set for the gateway: its setup and the run's log level. */
  readonly gateway?: { readonly setup: GatewaySetup; readonly logLevel: string };
  /** CPU per request is also read per thread (the gateway and the floor: their SQLite workers). */
  readonly threads?: boolean;
  load(
    shape: Pick<LoadSpec, 'connections' | 'durationSeconds' | 'overallRate' | 'paced'>,
  ): LoadSpec;
}

interface RunFigures extends LoadResult {
  readonly round: number;
  readonly iamCalls: number;
  readonly serverCpuMsPerRequest?: number;
  /** The same, per thread name (the gateway's main thread, SQLite worker, V8's helpers). */
  readonly threadCpuMsPerRequest?: Record<string, number>;
  readonly peakRssMB?: number;
  /** The gateway's own mean ms per request, audit commit and upstream call (phase-means.ts). */
  readonly phaseMeansMs?: PhaseMeans;
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
log(
  shipped
    ? `gateway: sh scripts/start.sh (bundle in dist/)${gatewayFlags.length > 0 ? `, NODE_OPTIONS ${gatewayFlags.join(' ')}` : ''}`
    : `gateway: node ${[...gatewayFlags, 'src/main.ts'].join(' ')}`,
);
if (gatewayConfig !== undefined) log(`gateway config: ${JSON.stringify(gatewayConfig)}`);
if (Object.keys(gatewayEnv).length > 0) log(`gateway environment: ${values['gateway-env']}`);
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
let headlineJwt = '';
const idleRssMB = new Map<string, number>();
for (const logLevel of logLevels) {
  const dir = join(work, `gateway-${logLevel}`);
  const setup = await prepareGateway({ dir, simUrl: simulator.url, logLevel, ...configOption() });
  const gateway = await startGatewayProcess({
    env: { ...setup.env, ...gatewayEnv },
    logFile: join(dir, 'gateway.log'),
    shipped,
    nodeFlags: [
      ...gatewayFlags,
      ...(values['cpu-prof'] === true
        ? ['--cpu-prof', `--cpu-prof-dir=${join(resultsDir(), 'profiles')}`]
        : []),
    ],
  });
  await sleep(IDLE_SETTLE_SECONDS * 1000);
  idleRssMB.set(`rescind-${logLevel}`, (readProcMemory(gateway.pid)?.rss ?? NaN) / 2 ** 20);
  log(
    `(d) rescind, log ${logLevel}: ready in ${gateway.readyMs.toFixed(0)} ms, idle RSS ` +
      `${fmt(idleRssMB.get(`rescind-${logLevel}`) ?? NaN, 0)} MB ${IDLE_SETTLE_SECONDS} s later`,
  );
  gateways.push(gateway);
  servers.push(gateway);
  const jwt = await setup.jwt();
  headlineJwt ||= jwt;
  targets.push({
    key: `rescind-${logLevel}`,
    label: `(d) rescind, log ${logLevel}`,
    server: gateway,
    gateway: { setup, logLevel },
    threads: true,
    load: (shape) => gatewayLoad(gateway.url, jwt, shape),
  });
}
const headline = targets.find((t) => t.key === `rescind-${logLevels[0] ?? 'info'}`);
if (headline === undefined) throw new Error('no headline gateway');
const cloudCall = cloudLoad(simulator.url, iamToken, { connections, durationSeconds });
const floorServer = await startDurableFloorProcess(
  { url: cloudCall.url, body: cloudCall.body ?? '', iamToken },
  join(work, 'durable-floor.db'),
);
servers.push(floorServer);
const floor: Target = {
  key: 'floor',
  label: '(e) durable floor',
  server: floorServer,
  threads: true,
  // What a caller sends Rescind, JWT included, though the floor reads none of it.
  load: (shape) => gatewayLoad(floorServer.url, headlineJwt, shape),
};
targets.push(floor);

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
const e = byKey.get('floor');
if (d === undefined || a === undefined || b === undefined || e === undefined) {
  throw new Error('missing figures');
}

// Latency Rescind adds at half its maximum rate: the simulator alone, the durable floor and
// Rescind in front of it, each driven at that rate, in alternating rounds.
const halfRate = Math.max(1, Math.round(d.rps / 2));
log(`latency at half of Rescind's maximum rate: ${halfRate} req/s`);
const halfRuns: Record<'simulator' | 'floor' | 'rescind', RunFigures[]> = {
  simulator: [],
  floor: [],
  rescind: [],
};
const simTarget = targets[0];
if (simTarget === undefined) throw new Error('no simulator target');
for (let round = 1; round <= rounds; round += 1) {
  const pair: [keyof typeof halfRuns, Target][] = [
    ['simulator', simTarget],
    ['floor', floor],
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
const halfFloor = medianLatency(halfRuns.floor);
const halfPhases = medianPhases(halfRuns.rescind);
if (halfPhases !== undefined) {
  log(
    `inside Rescind at ${halfRate}/s (means): request ${fmt(halfPhases.request)} ms = 2 audit commits ` +
      `of ${fmt(halfPhases.auditCommit)} ms + upstream ${fmt(halfPhases.upstream)} ms + the rest ` +
      `${fmt(halfPhases.request - 2 * halfPhases.auditCommit - halfPhases.upstream)} ms`,
  );
}
const addedP99 = halfRescind.p99 - halfSim.p99;
// CPU per request at this rate, where group commits hold one or two records, not dozens.
const halfCpu = {
  floor: summarize(floor, halfRuns.floor),
  rescind: summarize(headline, halfRuns.rescind),
};
for (const s of Object.values(halfCpu)) {
  const threads = Object.entries(s.threadCpuMsPerRequest ?? {}).map(
    ([n, v]) => `${n} ${fmt(v, 3)}`,
  );
  log(
    `${s.label} @${halfRate}/s: CPU ${fmt(s.cpuMsPerRequest ?? NaN, 3)} ms per request (${threads.join(', ')})`,
  );
}

// The floor under every durable commit, on the file system the audit stores used.
const fsync = measureFsync(work);
log(
  `fsync (8 KB appends, ${work}): p50 ${fmt(fsync.p50, 3)} p99 ${fmt(fsync.p99, 3)} max ${fmt(fsync.max, 3)} ms`,
);
// The floor under the idle RSS: Node alone, and with one idle worker thread.
const nodeFloor = await measureNodeFloor(IDLE_SETTLE_SECONDS);
log(
  `node alone, idle: ${fmt(nodeFloor.bareMB, 0)} MB; with one idle worker thread: ${fmt(nodeFloor.withWorkerMB, 0)} MB`,
);

// Start-up to ready: a fresh process on an empty audit store, spawn → first 200 from /readyz.
const startups: { listenMs: number; readyMs: number }[] = [];
for (let trial = 1; trial <= startupTrials; trial += 1) {
  const dir = join(work, `startup-${trial}`);
  const setup = await prepareGateway({
    dir,
    simUrl: simulator.url,
    logLevel: logLevels[0] ?? 'info',
    ...configOption(),
  });
  const gateway = await startGatewayProcess({
    env: { ...setup.env, ...gatewayEnv },
    logFile: join(dir, 'gateway.log'),
    nodeFlags: gatewayFlags,
    shipped,
  });
  startups.push({ listenMs: gateway.listenMs, readyMs: gateway.readyMs });
  await gateway.stop();
}
const startupMedian = median(startups.map((s) => s.readyMs));
const startupMax = Math.max(...startups.map((s) => s.readyMs));

for (const server of [...servers].reverse()) await server.stop();
if (values['keep-work'] === true) log(`kept the work dir: ${work}`);
else rmSync(work, { recursive: true, force: true });

const ratios = {
  toSimulator: d.rps / a.rps,
  toPassthrough: d.rps / b.rps,
  ...(c === undefined ? {} : { toNginx: d.rps / c.rps }),
};
const headlineIdleRssMB = idleRssMB.get(headline.key) ?? NaN;
const targetsMet = evaluateTargets({
  rescind: d,
  passthrough: b,
  connections,
  halfRate: { rate: halfRate, simulator: halfSim, rescind: halfRescind, floor: halfFloor },
  floor: e,
  fsync,
  idleRssMB: headlineIdleRssMB,
  nodeFloor,
  startupMedianMs: startupMedian,
});

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
    ...(gatewayConfig === undefined ? {} : { gatewayConfig }),
  },
  servers: summary,
  ratios,
  halfRate: {
    rate: halfRate,
    simulator: halfSim,
    rescind: halfRescind,
    floor: halfFloor,
    addedP50Ms: halfRescind.p50 - halfSim.p50,
    addedP99Ms: addedP99,
    floorAddedP50Ms: halfFloor.p50 - halfSim.p50,
    floorAddedP99Ms: halfFloor.p99 - halfSim.p99,
    cpu: Object.fromEntries(
      Object.entries(halfCpu).map(([key, s]) => [
        key,
        {
          label: s.label,
          cpuMsPerRequest: s.cpuMsPerRequest,
          threadCpuMsPerRequest: s.threadCpuMsPerRequest,
        },
      ]),
    ),
    ...(halfPhases === undefined ? {} : { rescindPhaseMeansMs: halfPhases }),
    runs: halfRuns,
  },
  fsyncMs: fsync,
  idleRssMB: Object.fromEntries(idleRssMB),
  nodeFloorMB: nodeFloor,
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
for (const s of summary) {
  if (s.threadCpuMsPerRequest === undefined) continue;
  const parts = Object.entries(s.threadCpuMsPerRequest).map(([n, v]) => `${n} ${fmt(v, 3)}`);
  log(`${s.label}: CPU ms per request by thread: ${parts.join(', ')}`);
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

/** --gateway-config: a JSON object, or undefined. */
function parseGatewayConfig(text: unknown): Record<string, unknown> | undefined {
  if (typeof text !== 'string') return undefined;
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    console.error('--gateway-config must be a JSON object');
    process.exit(2);
  }
  return parsed as Record<string, unknown>;
}

/** Per phase, the median over the runs of each run's mean. */
function medianPhases(runs: readonly RunFigures[]): PhaseMeans | undefined {
  const all = runs.flatMap((run) => (run.phaseMeansMs === undefined ? [] : [run.phaseMeansMs]));
  if (all.length === 0) return undefined;
  const of = (phase: keyof PhaseMeans) => median(all.map((means) => means[phase]));
  return { request: of('request'), auditCommit: of('auditCommit'), upstream: of('upstream') };
}

/** `A=1,B=2` → { A: '1', B: '2' }. */
function parseGatewayEnv(text: unknown): Record<string, string> {
  if (typeof text !== 'string' || text === '') return {};
  return Object.fromEntries(
    text.split(',').map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0) throw new Error(`--gateway-env: expected NAME=VALUE, got ${pair}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

function configOption(): { config?: Record<string, unknown> } {
  return gatewayConfig === undefined ? {} : { config: gatewayConfig };
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
    ...threadShares(list),
  };
}

/** The median per-thread CPU of the runs, for the gateway (where the SQLite worker shows). */
function threadShares(list: readonly RunFigures[]): {
  threadCpuMsPerRequest?: Record<string, number>;
} {
  const names = new Set(list.flatMap((r) => Object.keys(r.threadCpuMsPerRequest ?? {})));
  if (names.size === 0) return {};
  return {
    threadCpuMsPerRequest: Object.fromEntries(
      [...names].map((name) => [
        name,
        median(list.map((r) => r.threadCpuMsPerRequest?.[name] ?? 0)),
      ]),
    ),
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
  const threadsBefore = readThreadCpuSeconds(pid);
  const cpuBefore = readProcCpuSeconds(pid);
  const iamBefore = (await simulatorCalls(simulator.url)).iam ?? 0;
  const phasesBefore = gateway ? await scrapePhaseTotals(target.server.url) : undefined;
  const result = await runLoad(target.load(shape));
  const phasesAfter = gateway ? await scrapePhaseTotals(target.server.url) : undefined;
  const iamAfter = (await simulatorCalls(simulator.url)).iam ?? 0;
  const cpuAfter = readProcCpuSeconds(pid);
  const threadsAfter = readThreadCpuSeconds(pid);
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
    ...(target.threads === true && result.requests > 0
      ? { threadCpuMsPerRequest: perThread(threadsBefore, threadsAfter, result.requests) }
      : {}),
    peakRssMB: rss.peak() / 2 ** 20,
    ...(phasesBefore !== undefined && phasesAfter !== undefined
      ? { phaseMeansMs: phaseMeans(phasesBefore, phasesAfter) }
      : {}),
  };
}

/** CPU ms per request of each thread name between two readings (threads above 1 %). */
function perThread(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
  requests: number,
): Record<string, number> {
  const total = [...after.values()].reduce((sum, v) => sum + v, 0);
  const totalBefore = [...before.values()].reduce((sum, v) => sum + v, 0);
  const spent = total - totalBefore;
  const shares: Record<string, number> = {};
  for (const [name, seconds] of after) {
    const used = seconds - (before.get(name) ?? 0);
    if (spent > 0 && used / spent >= 0.01) shares[name] = round((used * 1000) / requests, 4);
  }
  return shares;
}

function fmt(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '—';
}

function log(line: string): void {
  console.log(line);
}
