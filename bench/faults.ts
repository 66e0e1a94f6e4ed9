// `npm run bench:faults`: every upstream fault the simulator can inject — and IAM faults — mixed
// at random with valid revocations of all six routes, through the real gateway process, for
// several minutes. Checked on every answer: it is a contract answer (200 revoked, or problem+json
// whose `code` is in the catalog with that status), never 500 INTERNAL, and it came (the client
// waits longer than the gateway's deadline: no answer in time is a hung request). The gateway's
// RSS and heap are sampled each second; their slope says whether memory stays flat. At the end
// the gateway must drain on SIGTERM with exit 0 and its audit chain must verify.
//
//   node bench/faults.ts [--duration 180] [--concurrency 32] [--fault-rate 0.25] [--seed N] [--no-write]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberFlag, parseFlags } from './lib/args.ts';
import { describeMachine } from './lib/machine.ts';
import { scrapeProcessMetrics } from './lib/metrics-scrape.ts';
import {
  installCleanup,
  startGatewayProcess,
  startSimulatorProcess,
  type GatewayProcess,
} from './lib/processes.ts';
import { readProcMemory } from './lib/proc-stats.ts';
import { saveSection } from './lib/report.ts';
import { leastSquares, round } from './lib/stats.ts';
import { prepareGateway } from './lib/workload.ts';
import { PROBLEMS, isProblemCode } from '../src/problems/catalog.ts';
import { DEMO_RESOURCES, type FaultSpec, type SimService } from '../src/simulator/index.ts';

const COMMAND = 'npm run bench:faults';
const { values, usage } = parseFlags(`${COMMAND} --`, {
  duration: { type: 'string', help: 'seconds of mixed traffic (180)' },
  concurrency: { type: 'string', help: 'concurrent clients (32)' },
  'fault-rate': { type: 'string', help: 'share of requests preceded by an injected fault (0.25)' },
  seed: { type: 'string', help: 'random seed (random)' },
  'no-write': { type: 'boolean', help: 'print only; leave docs/benchmarks.* alone' },
});
const durationSeconds = numberFlag(values, 'duration', 180, usage);
const concurrency = numberFlag(values, 'concurrency', 32, usage);
const faultRate = Math.min(1, numberFlag(values, 'fault-rate', 0.25, usage, true));
const seed = numberFlag(values, 'seed', Math.floor(Math.random() * 2 ** 31) + 1, usage);
const random = mulberry32(seed);

/** Short limits, so that hangs and slow answers cost seconds, not the production minutes. */
const UPSTREAM = {
  attemptTimeoutMs: 1000,
  deadlineMs: 4000,
  retries: 2,
  backoffBaseMs: 50,
  backoffMaxMs: 400,
  circuitBreaker: { failureThreshold: 5, openSeconds: 2 },
};
/**
 * Faults wait in the simulator until a call matches. While a circuit is open no call reaches the
 * cloud, so injecting before every request would pile faults up and keep the circuit open for
 * good: injection pauses while this many are pending.
 */
const MAX_PENDING_FAULTS = 6;
/** Revoking every token makes the next calls exchange again: at most once per this many ms. */
const IAM_EVENT_EVERY_MS = 2000;
/** The client waits this long: well past the gateway's deadline. */
const CLIENT_TIMEOUT_MS = UPSTREAM.deadlineMs + 6000;
const STATUSES = [400, 401, 403, 404, 409, 429, 500, 502, 503, 504] as const;

const K = DEMO_RESOURCES.kmsGrants[0];
const ROUTES: { service: Exclude<SimService, 'iam'>; path: string }[] = [
  { service: 'scm', path: `/v1/scm/certificates/${DEMO_RESOURCES.scmPrivacy[0].certId}/privacy` },
  { service: 'scm', path: `/v1/scm/csrs/${DEMO_RESOURCES.csrs[0].csrId}` },
  {
    service: 'apig',
    path: `/v1/apig/certificates/${DEMO_RESOURCES.apigCertificates[0].certificateId}`,
  },
  { service: 'kms', path: `/v1/kms/keys/${K.keyId}/grants/${K.grantId}` },
  {
    service: 'modelarts',
    path: `/v1/modelarts/authorizations/${DEMO_RESOURCES.modelartsAuthorizations[0].userId}`,
  },
  { service: 'modelarts', path: '/v1/modelarts/authorizations?allUsers=true' },
];

installCleanup();
const work = mkdtempSync(join(tmpdir(), 'rescind-faults-'));
const startedAt = new Date();
console.log(
  `fault campaign — ${startedAt.toISOString()}: ${durationSeconds} s, ${concurrency} clients, ` +
    `fault rate ${faultRate}, seed ${seed}`,
);

const simulator = await startSimulatorProcess();
const setup = await prepareGateway({
  dir: work,
  simUrl: simulator.url,
  logLevel: 'info',
  config: { upstream: UPSTREAM, cloud: { iam: { exchangeTimeoutMs: 1000 } } },
});
const gateway = await startGatewayProcess({ env: setup.env, logFile: join(work, 'gateway.log') });
const jwt = await setup.jwt('fault-campaign', durationSeconds + 3600);

const injected = new Map<string, number>();
const answers = new Map<string, number>();
const violations: string[] = [];
let requests = 0;
let pendingFaults = 0;
let skippedInjections = 0;
let lastIamEvent = 0;
let hung = 0;
let noAnswer = 0;
let internal = 0;
let nonContract = 0;
const memory: { t: number; rssMB: number; heapUsedMB?: number }[] = [];

const t0 = performance.now();
const deadline = t0 + durationSeconds * 1000;
const sampler = setInterval(() => {
  void sampleMemory(gateway);
}, 1000);
await Promise.all(Array.from({ length: concurrency }, () => worker()));
clearInterval(sampler);
const elapsedSeconds = (performance.now() - t0) / 1000;

// Drain: SIGTERM must finish in-flight work and exit 0; then the chain must verify.
await fetch(`${simulator.url}/__sim/faults`, { method: 'DELETE' });
await gateway.stop(30_000);
const exit = await gateway.exited;
const verify = spawnSync(
  process.execPath,
  [join(import.meta.dirname, '../src/audit/cli/verify-cli.ts'), '--json'],
  {
    env: { PATH: process.env.PATH ?? '', ...setup.env },
    encoding: 'utf8',
  },
);
await simulator.stop();
rmSync(work, { recursive: true, force: true });

const steady = memory.filter((m) => m.t >= Math.min(30, durationSeconds / 4));
const rssFit = leastSquares(steady.map((m) => [m.t / 60, m.rssMB]));
const heapPoints = steady.filter((m) => m.heapUsedMB !== undefined);
const heapFit = leastSquares(heapPoints.map((m) => [m.t / 60, m.heapUsedMB ?? 0]));
const verifyResult = parseJson(verify.stdout) as { ok?: boolean; records?: number } | undefined;

const report = {
  command: `${COMMAND}${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  date: startedAt.toISOString(),
  machine: describeMachine(),
  settings: {
    durationSeconds,
    concurrency,
    faultRate,
    seed,
    upstream: UPSTREAM,
    clientTimeoutMs: CLIENT_TIMEOUT_MS,
  },
  elapsedSeconds: round(elapsedSeconds, 1),
  requests,
  faultsInjected: Object.fromEntries([...injected].sort()),
  injectionsSkipped: skippedInjections,
  answers: Object.fromEntries([...answers].sort()),
  internal,
  hung,
  noAnswer,
  nonContract,
  violations: violations.slice(0, 20),
  memory: {
    rssStartMB: round(steady[0]?.rssMB ?? Number.NaN, 1),
    rssEndMB: round(steady.at(-1)?.rssMB ?? Number.NaN, 1),
    rssPeakMB: round(Math.max(...memory.map((m) => m.rssMB)), 1),
    rssSlopeMBPerMin: round(rssFit.slope, 3),
    heapStartMB: round(heapPoints[0]?.heapUsedMB ?? Number.NaN, 1),
    heapEndMB: round(heapPoints.at(-1)?.heapUsedMB ?? Number.NaN, 1),
    heapSlopeMBPerMin: round(heapFit.slope, 3),
    samples: memory.length,
    fromSecond: steady[0]?.t === undefined ? null : round(steady[0].t, 0),
    // The second half alone: V8 grows its heap to a working size first, then plateaus.
    rssSlopeSecondHalfMBPerMin: round(
      leastSquares(memory.filter((m) => m.t >= elapsedSeconds / 2).map((m) => [m.t / 60, m.rssMB]))
        .slope,
      3,
    ),
    heapSlopeSecondHalfMBPerMin: round(
      leastSquares(
        memory
          .filter((m) => m.t >= elapsedSeconds / 2 && m.heapUsedMB !== undefined)
          .map((m) => [m.t / 60, m.heapUsedMB ?? 0]),
      ).slope,
      3,
    ),
    series: memory.map((m) => [
      round(m.t, 1),
      round(m.rssMB, 1),
      round(m.heapUsedMB ?? Number.NaN, 1),
    ]),
  },
  shutdown: { code: exit.code, signal: exit.signal },
  auditVerify: {
    exitCode: verify.status,
    ok: verifyResult?.ok ?? false,
    records: verifyResult?.records ?? null,
  },
};

console.log(`\n${requests} requests in ${report.elapsedSeconds} s`);
console.log('faults injected:', report.faultsInjected);
console.log('answers:', report.answers);
console.log(
  `INTERNAL ${internal}, hung ${hung}, no answer ${noAnswer}, non-contract ${nonContract}` +
    (violations.length === 0 ? '' : `\n  ${violations.slice(0, 10).join('\n  ')}`),
);
console.log(
  `RSS ${report.memory.rssStartMB} → ${report.memory.rssEndMB} MB (peak ${report.memory.rssPeakMB}), ` +
    `slope ${report.memory.rssSlopeMBPerMin} MB/min (second half ${report.memory.rssSlopeSecondHalfMBPerMin}); ` +
    `heap ${report.memory.heapStartMB} → ${report.memory.heapEndMB} MB, slope ` +
    `${report.memory.heapSlopeMBPerMin} MB/min (second half ${report.memory.heapSlopeSecondHalfMBPerMin})`,
);
console.log(
  `SIGTERM: exit ${exit.code ?? exit.signal}; audit:verify exit ${verify.status} (${verifyResult?.records ?? '?'} records)`,
);
for (const file of await saveSection('faults', report, { write: values['no-write'] !== true })) {
  console.log(`wrote ${file}`);
}
const passed =
  internal === 0 &&
  hung === 0 &&
  noAnswer === 0 &&
  nonContract === 0 &&
  exit.code === 0 &&
  verify.status === 0;
process.exitCode = passed ? 0 : 1;

async function worker(): Promise<void> {
  while (performance.now() < deadline) {
    const route = ROUTES[Math.floor(random() * ROUTES.length)] ?? ROUTES[0];
    if (route === undefined) return;
    const roll = random();
    if (roll < faultRate) {
      if (pendingFaults >= MAX_PENDING_FAULTS) await refreshPending();
      if (pendingFaults >= MAX_PENDING_FAULTS) skippedInjections += 1;
      else if (roll < faultRate * 0.1 && performance.now() - lastIamEvent > IAM_EVENT_EVERY_MS) {
        lastIamEvent = performance.now();
        await injectIamFault();
      } else await inject(upstreamFault(route.service));
    }
    await call(route.path);
  }
}

async function call(path: string): Promise<void> {
  requests += 1;
  let response: Response;
  try {
    response = await fetch(`${gateway.url}${path}`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${jwt}` },
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
  } catch (error) {
    if (error instanceof Error && error.name === 'TimeoutError') {
      hung += 1;
      violations.push(`hung: DELETE ${path} had no answer after ${CLIENT_TIMEOUT_MS} ms`);
    } else {
      noAnswer += 1;
      violations.push(
        `no answer: DELETE ${path}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return;
  }
  const text = await response.text();
  const body = parseJson(text) as { code?: unknown; result?: unknown } | undefined;
  const type = response.headers.get('content-type') ?? '';
  let label: string;
  let contract: boolean;
  if (response.status === 200) {
    label = '200 revoked';
    contract = body?.result === 'revoked' && type.startsWith('application/json');
  } else {
    const code = body?.code;
    label = `${response.status} ${String(code)}`;
    contract =
      isProblemCode(code) &&
      PROBLEMS[code].status === response.status &&
      type.startsWith('application/problem+json');
    if (code === 'INTERNAL') {
      internal += 1;
      violations.push(`INTERNAL: DELETE ${path} (request ${response.headers.get('x-request-id')})`);
    }
  }
  if (!contract) {
    nonContract += 1;
    violations.push(
      `not a contract answer: DELETE ${path} → ${response.status} ${type} ${text.slice(0, 200)}`,
    );
  }
  answers.set(label, (answers.get(label) ?? 0) + 1);
}

function upstreamFault(service: Exclude<SimService, 'iam'>): FaultSpec {
  const takesEffect = random() < 0.3;
  const common = { service, count: 1, ...(takesEffect ? { takesEffect } : {}) };
  const pick = Math.floor(random() * 10);
  switch (pick) {
    case 0:
      return { ...common, kind: 'html', status: choose([500, 502, 503, 504]) };
    case 1:
      return { ...common, kind: 'empty', status: choose([200, 500, 502, 503]) };
    case 2:
      return { ...common, kind: 'truncated-json', status: choose([200, 400, 500]) };
    case 3:
      return { ...common, kind: 'oversized', status: choose([200, 502]), sizeBytes: 256 * 1024 };
    case 4:
      // Half of them outlast one attempt's timeout.
      return {
        service,
        count: 1,
        kind: 'delay',
        delayMs: Math.floor(random() * 2 * UPSTREAM.attemptTimeoutMs),
      };
    case 5:
      return { ...common, kind: 'hang' };
    case 6:
      return { ...common, kind: 'reset' };
    case 7:
      return { ...common, kind: 'throttle' };
    case 8:
      return { ...common, kind: 'token-expired' };
    default:
      return { ...common, kind: 'status', status: choose(STATUSES) };
  }
}

/** A fault on IAM, then every token revoked, so that the next call must exchange through it. */
async function injectIamFault(): Promise<void> {
  const kinds: FaultSpec[] = [
    { service: 'iam', count: 1, kind: 'status', status: choose([401, 403, 429, 500, 503]) },
    { service: 'iam', count: 1, kind: 'html' },
    { service: 'iam', count: 1, kind: 'empty' },
    { service: 'iam', count: 1, kind: 'truncated-json', status: 201 },
    { service: 'iam', count: 1, kind: 'delay', delayMs: Math.floor(random() * 1500) },
    { service: 'iam', count: 1, kind: 'hang' },
    { service: 'iam', count: 1, kind: 'reset' },
    { service: 'iam', count: 1, kind: 'throttle' },
  ];
  await inject(choose(kinds));
  await fetch(`${simulator.url}/__sim/tokens/revoke`, { method: 'POST' });
  injected.set('iam:tokens-revoked', (injected.get('iam:tokens-revoked') ?? 0) + 1);
}

async function inject(fault: FaultSpec): Promise<void> {
  const response = await fetch(`${simulator.url}/__sim/faults`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(fault),
  });
  if (response.status !== 201)
    throw new Error(`the simulator refused ${JSON.stringify(fault)}: ${await response.text()}`);
  pendingFaults = ((await response.json()) as { pending: number }).pending;
  const name = `${fault.service === 'iam' ? 'iam' : 'upstream'}:${fault.kind}${'status' in fault && fault.status !== undefined ? ` ${fault.status}` : ''}`;
  injected.set(name, (injected.get(name) ?? 0) + 1);
}

async function refreshPending(): Promise<void> {
  const response = await fetch(`${simulator.url}/__sim/stats`);
  pendingFaults = ((await response.json()) as { pendingFaults: number }).pendingFaults;
}

async function sampleMemory(target: GatewayProcess): Promise<void> {
  const t = (performance.now() - t0) / 1000;
  const proc = readProcMemory(target.pid);
  if (proc === undefined) return;
  const metrics = await scrapeProcessMetrics(target.url).catch(() => undefined);
  memory.push({
    t,
    rssMB: proc.rss / 2 ** 20,
    ...(metrics?.heapUsedMB === undefined ? {} : { heapUsedMB: metrics.heapUsedMB }),
  });
}

function choose<T>(list: readonly T[]): T {
  const item = list[Math.floor(random() * list.length)];
  if (item === undefined) throw new Error('empty list');
  return item;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A small seeded PRNG, so that a campaign can be replayed with --seed. */
function mulberry32(seedValue: number): () => number {
  let a = seedValue >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
