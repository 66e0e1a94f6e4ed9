// `npm run bench:scale`: how Rescind's figures move with load and with the audit store's size.
//   1. req/s and latency at 1, 10, 50 and 200 connections — Rescind, and the simulator alone
//      for reference (the same KMS revoke-grant workload as `npm run bench`).
//   2. An audit store with 0 records vs one with 1 million: revocation req/s and p99, start-up
//      to ready, GET /v1/audit latency for a filtered page (p50/p99 over many queries), and
//      `npm run audit:verify` throughput in records/s.
//
//   node bench/scale.ts [--duration 10] [--connections 1,10,50,200] [--records 1000000]
//                       [--store-connections 50] [--queries 200] [--no-write]

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listFlag, numberFlag, parseFlags } from './lib/args.ts';
import { CALLERS, fillAuditStore, readTemplates } from './lib/fill-audit-store.ts';
import { runLoad, type LoadResult } from './lib/load.ts';
import { describeMachine } from './lib/machine.ts';
import {
  installCleanup,
  startGatewayProcess,
  startSimulatorProcess,
  type GatewayProcess,
} from './lib/processes.ts';
import { sampleRss } from './lib/proc-stats.ts';
import { saveSection } from './lib/report.ts';
import { quantile, round } from './lib/stats.ts';
import {
  cloudLoad,
  fetchIamToken,
  gatewayLoad,
  prepareGateway,
  type GatewaySetup,
} from './lib/workload.ts';

const COMMAND = 'npm run bench:scale';
const { values, usage } = parseFlags(`${COMMAND} --`, {
  duration: { type: 'string', help: 'seconds per measured run (10)' },
  connections: { type: 'string', help: 'connection counts of the curve (1,10,50,200)' },
  records: { type: 'string', help: 'records in the large audit store (1000000)' },
  'store-connections': { type: 'string', help: 'connections for the store-size runs (50)' },
  queries: { type: 'string', help: 'GET /v1/audit queries timed per store (200)' },
  'no-write': { type: 'boolean', help: 'print only; leave docs/benchmarks.* alone' },
});
const durationSeconds = numberFlag(values, 'duration', 10, usage);
const curve = listFlag(values, 'connections', [1, 10, 50, 200], usage);
const bigStore = numberFlag(values, 'records', 1_000_000, usage);
const storeConnections = numberFlag(values, 'store-connections', 50, usage);
const queryCount = numberFlag(values, 'queries', 200, usage);
const CHAIN = 'bench';
const WARMUP_SECONDS = 3;

installCleanup();
const work = mkdtempSync(join(tmpdir(), 'rescind-scale-'));
const startedAt = new Date();
console.log(`scaling — ${startedAt.toISOString()}`);
const simulator = await startSimulatorProcess();
const iamToken = await fetchIamToken(simulator.url);

// 1. The connection curve.
const curveRows: {
  connections: number;
  simulator: ReturnType<typeof brief>;
  rescind: ReturnType<typeof brief> & { peakRssMB: number };
}[] = [];
{
  const setup = await prepareGateway({
    dir: join(work, 'curve'),
    simUrl: simulator.url,
    logLevel: 'info',
  });
  const gateway = await startGatewayProcess({
    env: setup.env,
    logFile: join(work, 'curve', 'gateway.log'),
  });
  const jwt = await setup.jwt();
  await runLoad(
    gatewayLoad(gateway.url, jwt, { connections: 50, durationSeconds: WARMUP_SECONDS }),
  );
  await runLoad(
    cloudLoad(simulator.url, iamToken, { connections: 50, durationSeconds: WARMUP_SECONDS }),
  );
  for (const connections of curve) {
    const sim = await runLoad(cloudLoad(simulator.url, iamToken, { connections, durationSeconds }));
    const rss = sampleRss(gateway.pid, 100);
    const rescind = await runLoad(gatewayLoad(gateway.url, jwt, { connections, durationSeconds }));
    rss.stop();
    curveRows.push({
      connections,
      simulator: brief(sim),
      rescind: { ...brief(rescind), peakRssMB: round(rss.peak() / 2 ** 20, 1) },
    });
    console.log(
      `${String(connections).padStart(4)} connections: rescind ${fmt(rescind.rps, 0)} req/s p50 ${fmt(rescind.latencyMs.p50)} p99 ${fmt(rescind.latencyMs.p99)} ms; ` +
        `simulator ${fmt(sim.rps, 0)} req/s p50 ${fmt(sim.latencyMs.p50)} p99 ${fmt(sim.latencyMs.p99)} ms`,
    );
  }
  await gateway.stop();
}

// 2. Audit store size: empty vs `bigStore` records.
const storeRows = [];
let templates: Awaited<ReturnType<typeof readTemplates>> | undefined;
for (const records of [0, bigStore]) {
  const dir = join(work, `store-${records}`);
  mkdirSync(dir, { recursive: true });
  const auditPath = join(dir, 'audit.db');
  let fillSeconds: number | undefined;
  if (records > 0) {
    if (templates === undefined) throw new Error('no template records');
    const t = performance.now();
    let lastPrint = 0;
    await fillAuditStore(auditPath, CHAIN, records, templates, (written) => {
      if (written - lastPrint >= 200_000 || written === records) {
        lastPrint = written;
        console.log(`  filled ${written} records`);
      }
    });
    fillSeconds = (performance.now() - t) / 1000;
  }
  const setup = await prepareGateway({ dir, simUrl: simulator.url, logLevel: 'info', auditPath });
  const gateway = await startGatewayProcess({ env: setup.env, logFile: join(dir, 'gateway.log') });
  const readyMs = gateway.readyMs;
  const jwt = await setup.jwt();
  await runLoad(
    gatewayLoad(gateway.url, jwt, {
      connections: storeConnections,
      durationSeconds: WARMUP_SECONDS,
    }),
  );
  const load = await runLoad(
    gatewayLoad(gateway.url, jwt, { connections: storeConnections, durationSeconds }),
  );
  if (templates === undefined) templates = await readTemplates(auditPath, CHAIN);
  const query = await timeQueries(gateway, setup, records);
  await gateway.stop();
  const verify = timeVerify(setup);
  const sizeMB = statSync(auditPath).size / 2 ** 20;
  const row = {
    records,
    storeRecordsAtVerify: verify.records,
    fileMB: round(sizeMB, 1),
    fillSeconds: fillSeconds === undefined ? null : round(fillSeconds, 1),
    readyMs: round(readyMs, 0),
    revoke: brief(load),
    query,
    verify: {
      seconds: round(verify.seconds, 2),
      recordsPerSecond: round(verify.records / verify.seconds, 0),
      ok: verify.ok,
    },
  };
  storeRows.push(row);
  console.log(
    `store ${records} records: ready ${row.readyMs} ms; revoke ${fmt(load.rps, 0)} req/s p99 ${fmt(load.latencyMs.p99)} ms; ` +
      `query p50 ${query.p50Ms} p99 ${query.p99Ms} ms (${query.filter}); verify ${row.verify.recordsPerSecond} records/s (${verify.records} records, ${row.verify.ok ? 'intact' : 'BROKEN'})`,
  );
  rmSync(dir, { recursive: true, force: true });
}

await simulator.stop();
rmSync(work, { recursive: true, force: true });

const report = {
  command: `${COMMAND}${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  date: startedAt.toISOString(),
  machine: describeMachine(),
  settings: { durationSeconds, curve, bigStore, storeConnections, queryCount },
  curve: curveRows,
  store: storeRows,
};
for (const file of await saveSection('scale', report, { write: values['no-write'] !== true })) {
  console.log(`wrote ${file}`);
}

/** Filtered pages of GET /v1/audit, one at a time, timed at the client. */
async function timeQueries(gateway: GatewayProcess, setup: GatewaySetup, records: number) {
  const auditor = await setup.jwt('auditor');
  // One caller of the hundred in the filled store; the load's own caller in the empty one.
  const actor = records > 0 ? `caller-${CALLERS - 1}` : 'bench-caller';
  const filter = `actor=${actor}&result=revoked&operation=kms.revokeGrant&limit=50`;
  const times: number[] = [];
  let items = 0;
  for (let i = 0; i < queryCount; i += 1) {
    const t = performance.now();
    const response = await fetch(`${gateway.url}/v1/audit?${filter}`, {
      headers: { Authorization: `Bearer ${auditor}` },
    });
    const body = (await response.json()) as { items?: unknown[] };
    times.push(performance.now() - t);
    if (response.status !== 200) throw new Error(`GET /v1/audit answered ${response.status}`);
    items = body.items?.length ?? 0;
  }
  times.sort((x, y) => x - y);
  return {
    filter,
    items,
    queries: queryCount,
    p50Ms: round(quantile(times, 0.5), 2),
    p99Ms: round(quantile(times, 0.99), 2),
  };
}

/** `npm run audit:verify` on the store, as an operator runs it; wall time of the process. */
function timeVerify(setup: GatewaySetup): { seconds: number; records: number; ok: boolean } {
  const t = performance.now();
  const result = spawnSync(
    process.execPath,
    [join(import.meta.dirname, '../src/audit/cli/verify-cli.ts'), '--json'],
    {
      env: { PATH: process.env.PATH ?? '', ...setup.env },
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
    },
  );
  const seconds = (performance.now() - t) / 1000;
  let parsed: { ok?: boolean; records?: number } = {};
  try {
    parsed = JSON.parse(result.stdout) as typeof parsed;
  } catch {
    // reported as not ok below
  }
  return { seconds, records: parsed.records ?? 0, ok: result.status === 0 && parsed.ok === true };
}

function brief(result: LoadResult) {
  return {
    rps: round(result.rps, 0),
    p50Ms: round(result.latencyMs.p50, 2),
    p99Ms: round(result.latencyMs.p99, 2),
    p999Ms: round(result.latencyMs.p999, 2),
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

function fmt(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '—';
}
