// docs/benchmarks.md: the hand-written bench/benchmarks-intro.md, the sections rendered from
// bench/results/benchmarks.json, then the hand-written bench/performance-notes.md, formatted with
// the repository's Prettier settings (the lint step checks the file like any other). Each
// section says which command produced it, when, and on what machine.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { leastSquares } from './stats.ts';

const DOCS_MD = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
const INTRO_MD = fileURLToPath(new URL('../benchmarks-intro.md', import.meta.url));
const NOTES_MD = fileURLToPath(new URL('../performance-notes.md', import.meta.url));

/** A hand-written Markdown file of bench/, without its leading comment for editors. */
function handWritten(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/^<!--[\s\S]*?-->\s*/, '')
    .trimEnd();
}

/** bench/performance-notes.md, the page's last part. */
export function performanceNotes(): string {
  return handWritten(NOTES_MD);
}

interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  nginx?: string;
  commit?: string;
}
interface Latency {
  p50: number;
  p90?: number;
  p99: number;
  p999: number;
  max?: number;
}
interface Target {
  target: string;
  value: string;
  met: boolean | null;
}
interface BenchSection {
  command: string;
  date: string;
  machine: Machine;
  settings: {
    connections: number;
    durationSeconds: number;
    warmupSeconds: number;
    rounds: number;
    headline: string;
  };
  servers: {
    key: string;
    label: string;
    rps: number;
    rpsRuns: number[];
    latencyMs: Latency;
    errors: number;
    non2xx: number;
    requests: number;
    peakRssMB?: number;
    iamCalls?: number;
    cpuMsPerRequest?: number;
    threadCpuMsPerRequest?: Record<string, number>;
  }[];
  ratios: { toSimulator: number; toPassthrough: number; toNginx?: number };
  halfRate: {
    rate: number;
    simulator: Latency;
    rescind: Latency;
    floor?: Latency;
    addedP50Ms?: number;
    addedP99Ms: number;
    floorAddedP50Ms?: number;
    floorAddedP99Ms?: number;
    /** CPU per request at half rate, of the floor and of Rescind. */
    cpu?: Record<
      string,
      { label: string; cpuMsPerRequest?: number; threadCpuMsPerRequest?: Record<string, number> }
    >;
  };
  fsyncMs?: Latency;
  idleRssMB?: Record<string, number>;
  nodeFloorMB?: { bareMB: number; withWorkerMB: number };
  startup: { medianMs: number; maxMs: number; trials: { listenMs: number; readyMs: number }[] };
  targets: Target[];
}
interface Brief {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  errors: number;
  non2xx: number;
  peakRssMB?: number;
}
interface ScaleSection {
  command: string;
  date: string;
  machine: Machine;
  settings: { durationSeconds: number; storeConnections: number; queryCount: number };
  curve: { connections: number; simulator: Brief; rescind: Brief }[];
  store: {
    records: number;
    storeRecordsAtVerify: number;
    fileMB: number;
    fillSeconds: number | null;
    readyMs: number;
    revoke: Brief;
    query: { filter: string; items: number; queries: number; p50Ms: number; p99Ms: number };
    verify: { seconds: number; recordsPerSecond: number; ok: boolean };
  }[];
}
interface CrashSection {
  command: string;
  date: string;
  machine: Machine;
  seed: number;
  trials: number;
  seconds: number | null;
  requestsSent: number;
  acknowledged: number;
  cutOff: number;
  recoveredUnknown: number;
  trialsWithRecovery: number;
  violations: number;
  killAfterMs: { min: number | null; max: number | null };
}
interface Trend {
  slopePerMin: number;
  firstMinuteMean: number;
  lastMinuteMean: number;
  max: number;
}
interface FaultSection {
  command: string;
  date: string;
  machine: Machine;
  settings: {
    durationSeconds: number;
    concurrency: number;
    faultRate: number;
    seed: number;
    upstream: { attemptTimeoutMs: number; deadlineMs: number; retries: number };
    clientTimeoutMs: number;
  };
  elapsedSeconds: number;
  requests: number;
  faultsInjected: Record<string, number>;
  injectionsSkipped?: number;
  answers: Record<string, number>;
  internal: number;
  hung: number;
  noAnswer: number;
  nonContract: number;
  memory: {
    rssStartMB: number;
    rssEndMB: number;
    rssPeakMB: number;
    rssSlopeMBPerMin: number;
    heapStartMB: number;
    heapEndMB: number;
    heapSlopeMBPerMin: number;
    fromSecond: number | null;
    rssSlopeSecondHalfMBPerMin?: number;
    heapSlopeSecondHalfMBPerMin?: number;
  };
  shutdown: { code: number | null; signal: string | null };
  auditVerify: { exitCode: number | null; ok: boolean; records: number | null };
}
interface SoakSection {
  command: string;
  date: string;
  machine: Machine;
  settings: {
    durationSeconds: number;
    rate: number;
    connections: number;
    logLevel: string;
    warmupSeconds: number;
  };
  load: {
    requests: number;
    rps: number;
    latencyMs: { p50: number; p99: number; p999: number; max: number };
    errors: number;
    timeouts: number;
    statuses: Record<string, number>;
  };
  iamCalls: number;
  samples: number;
  rssMB: Trend;
  heapUsedMB: Trend;
  eventLoopP99Ms: Trend;
  eventLoopMeanMs: Trend;
  shutdown: { code: number | null; signal: string | null };
  /** [seconds, RSS MB, heap used MB, event-loop p99 ms] per sample. */
  series?: [number, number, number, number][];
}

export async function renderBenchmarks(sections: Record<string, unknown>): Promise<string> {
  const parts = [handWritten(INTRO_MD), ''];

  const bench = sections.bench as BenchSection | undefined;
  const targets: Target[] = [];
  if (bench !== undefined) targets.push(...bench.targets);
  const scale = sections.scale as ScaleSection | undefined;
  const crash = sections.crash as CrashSection | undefined;
  const faults = sections.faults as FaultSection | undefined;
  const soak = sections.soak as SoakSection | undefined;

  if (targets.length > 0) {
    parts.push('## Targets', '', '| target | figure | |', '| --- | --- | --- |');
    for (const t of targets) {
      parts.push(
        `| ${t.target} | ${t.value} | ${t.met === null ? 'n/a' : t.met ? 'met' : '**missed**'} |`,
      );
    }
    parts.push('');
  }

  if (bench !== undefined) parts.push(...renderBench(bench));
  if (scale !== undefined) parts.push(...renderScale(scale));
  if (crash !== undefined) parts.push(...renderCrash(crash));
  if (faults !== undefined) parts.push(...renderFaults(faults));
  if (soak !== undefined) parts.push(...renderSoak(soak));
  parts.push(performanceNotes(), '');

  const options = (await prettier.resolveConfig(DOCS_MD)) ?? {};
  return prettier.format(parts.join('\n'), { ...options, parser: 'markdown' });
}

function provenance(section: { command: string; date: string; machine: Machine }): string[] {
  const m = section.machine;
  return [
    `\`${section.command}\` — ${section.date.slice(0, 16).replace('T', ' ')} UTC` +
      (m.commit === undefined ? '' : `, commit \`${m.commit}\``) +
      `; ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}` +
      (m.nginx === undefined ? '' : `, nginx ${m.nginx}`) +
      '.',
    '',
  ];
}

function renderBench(s: BenchSection): string[] {
  const out = [
    '## 1. Rescind against its baselines',
    '',
    ...provenance(s),
    `${s.settings.connections} connections, ${s.settings.durationSeconds} s per run, ` +
      `${s.settings.rounds} alternating rounds after a ${s.settings.warmupSeconds} s warm-up; ` +
      "medians of the rounds. Latency in ms. CPU is the server process's own CPU time per request " +
      '(user + system, from /proc).',
    '',
    '| server | req/s | p50 | p99 | p99.9 | errors | non-2xx | peak RSS | IAM calls | CPU ms/req |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
  ];
  for (const v of s.servers) {
    out.push(
      `| ${v.label} | ${n(v.rps, 0)} | ${n(v.latencyMs.p50)} | ${n(v.latencyMs.p99)} | ${n(v.latencyMs.p999)} | ${v.errors} | ${v.non2xx} | ${v.peakRssMB === undefined ? '—' : `${n(v.peakRssMB, 0)} MB`} | ${v.iamCalls ?? '—'} | ${v.cpuMsPerRequest === undefined ? '—' : n(v.cpuMsPerRequest, 3)} |`,
    );
  }
  const r = s.ratios;
  out.push(
    '',
    `Ratios of Rescind (log \`info\`) to the baselines: d/a ${pct(r.toSimulator)}, d/b ${pct(r.toPassthrough)}, ` +
      (r.toNginx === undefined ? 'd/c — (nginx not installed).' : `d/c ${pct(r.toNginx)}.`),
    '',
    `At half of Rescind's maximum rate (${s.halfRate.rate} req/s, same connections): the simulator ` +
      `alone answers with p50 ${n(s.halfRate.simulator.p50)} / p99 ${n(s.halfRate.simulator.p99)} ms, ` +
      `through Rescind p50 ${n(s.halfRate.rescind.p50)} / p99 ${n(s.halfRate.rescind.p99)} ms: ` +
      (s.halfRate.addedP50Ms === undefined
        ? ''
        : `Rescind adds ${n(s.halfRate.addedP50Ms)} ms at p50, `) +
      `${n(s.halfRate.addedP99Ms)} ms at p99.` +
      (s.halfRate.floor === undefined || s.halfRate.floorAddedP99Ms === undefined
        ? ''
        : ` The durable floor (e), driven alike, answers with p50 ${n(s.halfRate.floor.p50)} / ` +
          `p99 ${n(s.halfRate.floor.p99)} ms: it adds ${n(s.halfRate.floorAddedP50Ms ?? NaN)} ms at ` +
          `p50, ${n(s.halfRate.floorAddedP99Ms)} ms at p99.`) +
      (s.fsyncMs === undefined
        ? ''
        : ` This machine's fsync (8 KB appends, measured in the same run): p50 ${n(s.fsyncMs.p50, 3)}, ` +
          `p99 ${n(s.fsyncMs.p99, 3)} ms; a revocation waits for two.`),
    '',
    ...threadLines(s),
    ...(s.idleRssMB === undefined
      ? []
      : [
          `Idle RSS, ${Object.entries(s.idleRssMB)
            .map(([key, mb]) => `${key} ${n(mb, 0)} MB`)
            .join(', ')} (2 s after ready, before any request)` +
            (s.nodeFloorMB === undefined
              ? '.'
              : `; in the same run, Node alone with the same heap flags ${n(s.nodeFloorMB.bareMB, 0)} MB, ` +
                `and with one idle worker thread ${n(s.nodeFloorMB.withWorkerMB, 0)} MB.`),
          '',
        ]),
    `Start-up to ready (spawn until \`GET /readyz\` answers 200, empty audit store): median ` +
      `${n(s.startup.medianMs, 0)} ms, max ${n(s.startup.maxMs, 0)} ms over ${s.startup.trials.length} starts.`,
    '',
  );
  return out;
}

/** Where the gateway's CPU goes, by thread: its main thread, the SQLite worker, V8's helpers. */
function threadLines(s: BenchSection): string[] {
  const atHalfRate = Object.values(s.halfRate.cpu ?? {}).map((v) => ({
    ...v,
    label: `${v.label} at ${s.halfRate.rate} req/s`,
  }));
  return [...s.servers, ...atHalfRate].flatMap((v) =>
    v.threadCpuMsPerRequest === undefined
      ? []
      : [
          `${v.label}, CPU ms per request` +
            (v.cpuMsPerRequest === undefined ? '' : ` ${n(v.cpuMsPerRequest, 3)}`) +
            ', by thread: ' +
            Object.entries(v.threadCpuMsPerRequest)
              .map(([name, ms]) => `${name} ${n(ms, 3)}`)
              .join(', ') +
            '.',
          '',
        ],
  );
}

function renderScale(s: ScaleSection): string[] {
  const out = [
    '## 2. Scaling',
    '',
    ...provenance(s),
    `### Connections (${s.settings.durationSeconds} s per point)`,
    '',
    '| connections | Rescind req/s | Rescind p50 | Rescind p99 | Rescind peak RSS | simulator req/s | simulator p99 |',
    '| --: | --: | --: | --: | --: | --: | --: |',
  ];
  for (const row of s.curve) {
    out.push(
      `| ${row.connections} | ${n(row.rescind.rps, 0)} | ${n(row.rescind.p50Ms)} | ${n(row.rescind.p99Ms)} | ${row.rescind.peakRssMB === undefined ? '—' : `${n(row.rescind.peakRssMB, 0)} MB`} | ${n(row.simulator.rps, 0)} | ${n(row.simulator.p99Ms)} |`,
    );
  }
  out.push(
    '',
    `### Audit store size (${s.settings.storeConnections} connections, ${s.settings.durationSeconds} s; ${s.settings.queryCount} queries)`,
    '',
    '| records at start | file at end | ready | revoke req/s | revoke p99 | query p50 | query p99 | verify | verify records/s |',
    '| --: | --: | --: | --: | --: | --: | --: | --: | --: |',
  );
  for (const row of s.store) {
    out.push(
      `| ${row.records.toLocaleString('en')} | ${n(row.fileMB, 0)} MB | ${n(row.readyMs, 0)} ms | ${n(row.revoke.rps, 0)} | ${n(row.revoke.p99Ms)} ms | ${n(row.query.p50Ms)} ms | ${n(row.query.p99Ms)} ms | ${row.storeRecordsAtVerify.toLocaleString('en')} records, ${n(row.verify.seconds, 1)} s, ${row.verify.ok ? 'intact' : '**broken**'} | ${n(row.verify.recordsPerSecond, 0)} |`,
    );
  }
  if (s.store.length > 0) {
    out.push(
      '',
      'The query is a filtered page, timed at the client one query at a time: ' +
        s.store
          .map(
            (row) =>
              `\`GET /v1/audit?${row.query.filter}\` on the store of ${row.records.toLocaleString('en')} (${row.query.items} items)`,
          )
          .join('; ') +
        ' — in the filled store one caller of a hundred. The file size is taken after the ' +
        'revocation run. The large store is filled with ' +
        'copies of records the gateway wrote (fresh ids, request ids, times, 100 callers), sealed ' +
        'into the chain and appended through the store itself. Verify is `npm run audit:verify` ' +
        'as an operator runs it, wall time of the whole process.',
    );
  }
  out.push('');
  return out;
}

function renderCrash(s: CrashSection): string[] {
  return [
    '## 3. Crash campaign',
    '',
    ...provenance(s),
    'Each trial kills a loaded gateway with SIGKILL at a random moment ' +
      `(${s.killAfterMs.min ?? '?'}–${s.killAfterMs.max ?? '?'} ms into the load), restarts it on the ` +
      'same SQLite file, and holds the store against what the clients saw (`scripts/crash-test.ts`).',
    '',
    '| trials | requests sent | acknowledged `revoked` | cut off by the kill | attempts recovered as `unknown` | violations |',
    '| --: | --: | --: | --: | --: | --: |',
    `| ${s.trials.toLocaleString('en')} | ${s.requestsSent.toLocaleString('en')} | ${s.acknowledged.toLocaleString('en')} | ${s.cutOff.toLocaleString('en')} | ${s.recoveredUnknown.toLocaleString('en')} (in ${s.trialsWithRecovery} trials) | **${s.violations}** |`,
    '',
    `Seed ${s.seed}` + (s.seconds === null ? '.' : `; ${Math.round(s.seconds / 60)} minutes.`),
    '',
  ];
}

function renderFaults(s: FaultSection): string[] {
  const injected = Object.entries(s.faultsInjected)
    .map(([k, v]) => `${k} ×${v}`)
    .join(', ');
  const answers = Object.entries(s.answers)
    .map(([k, v]) => `| ${k} | ${v.toLocaleString('en')} |`)
    .join('\n');
  return [
    '## 4. Fault campaign',
    '',
    ...provenance(s),
    `${s.elapsedSeconds} s, ${s.settings.concurrency} concurrent clients, ${s.requests.toLocaleString('en')} ` +
      `revocations over all six routes; before ${Math.round(s.settings.faultRate * 100)} % of them a ` +
      'fault was queued in the simulator for that service — every kind it has, at random, with ' +
      '`takesEffect` on 30 % of them — unless six were already waiting (an open circuit sends ' +
      `no calls to use them up; ${s.injectionsSkipped ?? 0} injections were skipped so). At most ` +
      'every 2 s the fault was an IAM fault followed by revoking every token, so that the next ' +
      `calls must exchange through it. Gateway limits: attempt ${s.settings.upstream.attemptTimeoutMs} ms, deadline ` +
      `${s.settings.upstream.deadlineMs} ms, ${s.settings.upstream.retries} retries; the client waits ` +
      `${s.settings.clientTimeoutMs} ms before counting a request as hung. Seed ${s.settings.seed}.`,
    '',
    '| check | result |',
    '| --- | --: |',
    `| 500 \`INTERNAL\` | **${s.internal}** |`,
    `| hung requests | **${s.hung}** |`,
    `| requests with no answer (connection error) | **${s.noAnswer}** |`,
    `| answers that are not a contract answer | **${s.nonContract}** |`,
    `| RSS (from second ${s.memory.fromSecond ?? '?'}) | ${n(s.memory.rssStartMB, 0)} → ${n(s.memory.rssEndMB, 0)} MB, peak ${n(s.memory.rssPeakMB, 0)} MB, slope ${n(s.memory.rssSlopeMBPerMin, 2)} MB/min, second half ${n(s.memory.rssSlopeSecondHalfMBPerMin ?? Number.NaN, 2)} MB/min |`,
    `| V8 heap used | ${n(s.memory.heapStartMB, 0)} → ${n(s.memory.heapEndMB, 0)} MB, slope ${n(s.memory.heapSlopeMBPerMin, 2)} MB/min, second half ${n(s.memory.heapSlopeSecondHalfMBPerMin ?? Number.NaN, 2)} MB/min |`,
    `| SIGTERM at the end | exit ${s.shutdown.code ?? s.shutdown.signal} |`,
    `| \`audit:verify\` afterwards | exit ${s.auditVerify.exitCode}, ${s.auditVerify.records ?? '?'} records ${s.auditVerify.ok ? 'intact' : '**broken**'} |`,
    '',
    '| answer | count |',
    '| --- | --: |',
    answers,
    '',
    `Faults queued: ${injected}.`,
    '',
  ];
}

function renderSoak(s: SoakSection): string[] {
  // The slope over the second half too: a heap that V8 lets grow to its working size first
  // shows as a rise early on and a plateau after, which one slope over the run blurs.
  const half = (s.series ?? []).filter(([t]) => t >= s.settings.durationSeconds / 2);
  const secondHalf = (index: 1 | 2 | 3) =>
    half.length < 2
      ? Number.NaN
      : leastSquares(
          half
            .map(([t, ...values]) => [t / 60, values[index - 1] ?? Number.NaN] as const)
            .filter(([, v]) => Number.isFinite(v)),
        ).slope;
  const row = (name: string, t: Trend, unit: string, late: number) =>
    `| ${name} | ${n(t.firstMinuteMean)} ${unit} | ${n(t.lastMinuteMean)} ${unit} | ${n(t.max)} ${unit} | ${n(t.slopePerMin, 3)} ${unit}/min | ${n(late, 3)} ${unit}/min |`;
  return [
    '## 5. Soak',
    '',
    ...provenance(s),
    `${Math.round(s.settings.durationSeconds / 60)} minutes at ${s.settings.rate} req/s over ` +
      `${s.settings.connections} connections (log \`${s.settings.logLevel}\`): ` +
      `${s.load.requests.toLocaleString('en')} revocations, ${n(s.load.rps, 0)} req/s, p50 ` +
      `${n(s.load.latencyMs.p50)} / p99 ${n(s.load.latencyMs.p99)} / p99.9 ${n(s.load.latencyMs.p999)} ms, ` +
      `${s.load.errors} errors, ${s.iamCalls} IAM call(s). Sampled every second (${s.samples} samples); ` +
      `slopes by least squares after the first ${s.settings.warmupSeconds} s.`,
    '',
    '| series | first minute after warm-up | last minute | max | slope after warm-up | slope, second half |',
    '| --- | --: | --: | --: | --: | --: |',
    row('RSS', s.rssMB, 'MB', secondHalf(1)),
    row('V8 heap used', s.heapUsedMB, 'MB', secondHalf(2)),
    row('event-loop delay p99', s.eventLoopP99Ms, 'ms', secondHalf(3)),
    row('event-loop delay mean', s.eventLoopMeanMs, 'ms', Number.NaN),
    '',
    "The event-loop figures are those of the gateway's own `/metrics` " +
      "(`rescind_nodejs_eventloop_lag_*`, prom-client's monitor of the loop, reset at every " +
      'scrape): it samples the loop every 10 ms, so an idle loop reads ~10.1 ms and the delay ' +
      'is what exceeds that.',
    '',
    `Statuses: ${Object.entries(s.load.statuses)
      .map(([k, v]) => `${k} ×${v}`)
      .join(', ')}; SIGTERM at the end: exit ${s.shutdown.code ?? s.shutdown.signal}.`,
    '',
  ];
}

function n(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '—';
}

function pct(ratio: number): string {
  return `${(ratio * 100).toFixed(1)} %`;
}
