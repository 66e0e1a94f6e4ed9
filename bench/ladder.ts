// `npm run bench:ladder`: from the durable floor to Rescind, one layer at a time. The same
// revocation workload as `npm run bench`, against the passthrough, the durable floor
// (bench/servers/durable-floor.ts) with Rescind's libraries added one by one (Express and helmet,
// then the upstream call through http-proxy-middleware, then the access log line;
// bench/servers/floor-layers.ts), and Rescind itself as it ships. Measured at full load and at
// half of Rescind's maximum rate, in alternating rounds. What the last layer leaves between the
// floor and Rescind is Rescind's own pipeline: identity, rate limit, validation, policy, the
// audit records' content and seals, the revoker, normalization and metrics. Prints its figures and
// keeps them in bench/results/ladder-<date>.json; it writes no docs.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGateway } from '../scripts/build.ts';
import type { FloorLayer } from './servers/durable-floor.ts';
import { numberFlag, parseFlags } from './lib/args.ts';
import { runLoad, type LoadSpec } from './lib/load.ts';
import {
  installCleanup,
  startDurableFloorProcess,
  startGatewayProcess,
  startPassthroughProcess,
  startSimulatorProcess,
  type ServerProcess,
} from './lib/processes.ts';
import { readProcCpuSeconds, readThreadCpuSeconds } from './lib/proc-stats.ts';
import { resultsDir } from './lib/report.ts';
import { median } from './lib/stats.ts';
import { cloudLoad, fetchIamToken, gatewayLoad, prepareGateway } from './lib/workload.ts';

const COMMAND = 'npm run bench:ladder';
const { values, usage } = parseFlags(`${COMMAND} --`, {
  duration: { type: 'string', help: 'seconds per measured run (8)' },
  rounds: { type: 'string', help: 'alternating rounds; the median per server is reported (2)' },
  connections: { type: 'string', help: 'concurrent connections of the load generator (200)' },
});
const durationSeconds = numberFlag(values, 'duration', 8, usage);
const rounds = numberFlag(values, 'rounds', 2, usage);
const connections = numberFlag(values, 'connections', 200, usage);

type Shape = Pick<LoadSpec, 'connections' | 'durationSeconds' | 'overallRate' | 'paced'>;
interface Rung {
  readonly label: string;
  readonly server: ServerProcess;
  load(shape: Shape): LoadSpec;
}
interface Figures {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuMsPerRequest: number;
  readonly threads: Record<string, number>;
}

installCleanup();
await buildGateway();
const work = mkdtempSync(join(tmpdir(), 'rescind-ladder-'));
const simulator = await startSimulatorProcess();
const iamToken = await fetchIamToken(simulator.url);
const cloudCall = cloudLoad(simulator.url, iamToken, { connections, durationSeconds });
const passthrough = await startPassthroughProcess(simulator.url);
const setup = await prepareGateway({
  dir: join(work, 'gateway'),
  simUrl: simulator.url,
  logLevel: 'info',
});
const gateway = await startGatewayProcess({
  env: setup.env,
  logFile: join(work, 'gateway', 'gateway.log'),
  shipped: true,
});
const jwt = await setup.jwt();

const rungs: Rung[] = [
  {
    label: 'passthrough',
    server: passthrough,
    load: (s) => cloudLoad(passthrough.url, iamToken, s),
  },
];
const LADDER: FloorLayer[][] = [
  [],
  ['express'],
  ['express', 'proxy'],
  ['express', 'proxy', 'log'],
  ['express', 'proxy', 'log', 'audit'],
];
for (const layers of LADDER) {
  const floor = await startDurableFloorProcess(
    { url: cloudCall.url, body: cloudCall.body ?? '', iamToken },
    join(work, `floor-${layers.join('-') || 'bare'}.db`),
    layers,
  );
  rungs.push({
    label: `floor${layers.map((layer) => ` +${layer}`).join('')}`,
    server: floor,
    load: (s) => gatewayLoad(floor.url, jwt, s),
  });
}
rungs.push({ label: 'rescind', server: gateway, load: (s) => gatewayLoad(gateway.url, jwt, s) });

for (const rung of rungs) await runLoad(rung.load({ connections, durationSeconds: 3 }));
const full = await measureAll({ connections, durationSeconds });
const rescindRps = full.get('rescind')?.rps ?? 0;
const halfRate = Math.max(1, Math.round(rescindRps / 2));
const half = await measureAll({ connections, durationSeconds, overallRate: halfRate, paced: true });

for (const server of [simulator, ...rungs.map((r) => r.server)].reverse()) await server.stop();
rmSync(work, { recursive: true, force: true });

print('full load', full);
print(`half of Rescind's maximum rate (${halfRate} req/s)`, half);
const file = join(
  resultsDir(),
  `ladder-${new Date()
    .toISOString()
    .replaceAll(':', '-')
    .replace(/\.\d+Z$/, 'Z')}.json`,
);
writeFileSync(
  file,
  `${JSON.stringify({ command: COMMAND, date: new Date().toISOString(), connections, durationSeconds, rounds, halfRate, full: Object.fromEntries(full), half: Object.fromEntries(half) }, null, 2)}\n`,
);
console.log(`wrote ${file}`);

async function measureAll(shape: Shape): Promise<Map<string, Figures>> {
  const runs = new Map<string, Figures[]>(rungs.map((r) => [r.label, []]));
  for (let round = 1; round <= rounds; round += 1) {
    for (const rung of round % 2 === 1 ? rungs : [...rungs].reverse()) {
      runs.get(rung.label)?.push(await measure(rung, shape));
    }
  }
  return new Map(
    [...runs].map(([label, list]) => [
      label,
      {
        rps: median(list.map((f) => f.rps)),
        p50: median(list.map((f) => f.p50)),
        p99: median(list.map((f) => f.p99)),
        cpuMsPerRequest: median(list.map((f) => f.cpuMsPerRequest)),
        threads: Object.fromEntries(
          Object.keys(list[0]?.threads ?? {}).map((name) => [
            name,
            median(list.map((f) => f.threads[name] ?? 0)),
          ]),
        ),
      },
    ]),
  );
}

async function measure(rung: Rung, shape: Shape): Promise<Figures> {
  const pid = rung.server.pid;
  const cpuBefore = readProcCpuSeconds(pid) ?? 0;
  const threadsBefore = readThreadCpuSeconds(pid);
  const result = await runLoad(rung.load(shape));
  const perRequest = (seconds: number) => (seconds * 1000) / Math.max(1, result.requests);
  const threads: Record<string, number> = {};
  for (const [name, seconds] of readThreadCpuSeconds(pid)) {
    const ms = perRequest(seconds - (threadsBefore.get(name) ?? 0));
    if (ms >= 0.005) threads[name] = ms;
  }
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${rung.label}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  }
  return {
    rps: result.rps,
    p50: result.latencyMs.p50,
    p99: result.latencyMs.p99,
    cpuMsPerRequest: perRequest((readProcCpuSeconds(pid) ?? 0) - cpuBefore),
    threads,
  };
}

function print(title: string, figures: Map<string, Figures>): void {
  console.log(`\n${title}:`);
  console.log(
    `${'server'.padEnd(34)} ${'req/s'.padStart(7)} ${'p50'.padStart(7)} ${'p99'.padStart(7)} ${'cpu/req'.padStart(8)}  by thread`,
  );
  for (const [label, f] of figures) {
    const threads = Object.entries(f.threads).map(([name, ms]) => `${name} ${ms.toFixed(3)}`);
    console.log(
      `${label.padEnd(34)} ${f.rps.toFixed(0).padStart(7)} ${f.p50.toFixed(2).padStart(7)} ${f.p99.toFixed(2).padStart(7)} ${f.cpuMsPerRequest.toFixed(3).padStart(8)}  ${threads.join(', ')}`,
    );
  }
}
