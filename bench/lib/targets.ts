// The targets `npm run bench` reports as met or missed (docs/benchmarks.md), each from figures
// measured in the same run: Rescind beside the passthrough, the simulator and this machine's
// fsync. A target whose measurement was not made (fewer than 200 connections) is n/a. Beside the
// latency and CPU figures stands the durable floor's (bench/servers/durable-floor.ts), when it was
// measured: what two durable commits and one upstream call cost on a bare Node server, so that a
// missed target shows whether the machine or Rescind's own work stands in the way.

export const TARGETS = {
  /** Added latency at half of Rescind's maximum rate, p50. */
  addedP50Ms: 3,
  /** Added latency at p99: at most this many fsync p99s (two durable commits) plus a margin. */
  addedP99Fsyncs: 2,
  addedP99MarginMs: 5,
  /** CPU per revocation against the passthrough's. */
  cpuRatioToPassthrough: 2,
  /** Revocations/s against the passthrough's requests/s. */
  throughputRatioToPassthrough: 0.5,
  peakRssMB: 150,
  peakRssConnections: 200,
  idleRssMB: 80,
  startupMedianMs: 300,
};

export interface TargetResult {
  readonly target: string;
  readonly value: string;
  readonly met: boolean | null;
}

interface Latency {
  readonly p50: number;
  readonly p99: number;
}

export interface TargetFigures {
  readonly rescind: {
    readonly rps: number;
    readonly cpuMsPerRequest?: number;
    readonly peakRssMB?: number;
    readonly iamCalls?: number;
  };
  readonly passthrough: { readonly rps: number; readonly cpuMsPerRequest?: number };
  /** The durable floor at full load. */
  readonly floor?: { readonly rps: number; readonly cpuMsPerRequest?: number };
  readonly connections: number;
  readonly halfRate: {
    readonly rate: number;
    readonly simulator: Latency;
    readonly rescind: Latency;
    readonly floor?: Latency;
  };
  readonly fsync: Latency;
  readonly idleRssMB: number;
  /** Node's own idle RSS in the same run, alone and with one idle worker thread. */
  readonly nodeFloor?: { readonly bareMB: number; readonly withWorkerMB: number };
  readonly startupMedianMs: number;
}

export function evaluateTargets(f: TargetFigures): TargetResult[] {
  return [...latencyTargets(f), ...costTargets(f), ...memoryTargets(f), startupTarget(f)];
}

function latencyTargets(f: TargetFigures): TargetResult[] {
  const { rate, simulator, rescind, floor } = f.halfRate;
  const addedP50 = rescind.p50 - simulator.p50;
  const addedP99 = rescind.p99 - simulator.p99;
  const p99Limit = TARGETS.addedP99Fsyncs * f.fsync.p99 + TARGETS.addedP99MarginMs;
  const floorAdds = (quantile: keyof Latency): string =>
    floor === undefined
      ? ''
      : `; the durable floor adds ${fmt(floor[quantile] - simulator[quantile])} ms`;
  return [
    {
      target: `p50 added ≤ ${TARGETS.addedP50Ms} ms at half of Rescind's maximum rate`,
      value:
        `${fmt(addedP50)} ms (p50 ${fmt(rescind.p50)} vs ${fmt(simulator.p50)} ms at ${rate} req/s)` +
        floorAdds('p50'),
      met: addedP50 <= TARGETS.addedP50Ms,
    },
    {
      target: `p99 added ≤ ${TARGETS.addedP99Fsyncs} × fsync p99 + ${TARGETS.addedP99MarginMs} ms at half of Rescind's maximum rate`,
      value:
        `${fmt(addedP99)} ms (p99 ${fmt(rescind.p99)} vs ${fmt(simulator.p99)} ms); ` +
        `limit ${fmt(p99Limit)} ms from fsync p99 ${fmt(f.fsync.p99)} ms` +
        floorAdds('p99'),
      met: addedP99 <= p99Limit,
    },
  ];
}

function costTargets(f: TargetFigures): TargetResult[] {
  const cpu = f.rescind.cpuMsPerRequest;
  const base = f.passthrough.cpuMsPerRequest;
  const cpuRatio = cpu === undefined || base === undefined ? undefined : cpu / base;
  const throughput = f.rescind.rps / f.passthrough.rps;
  const floorCpu = f.floor?.cpuMsPerRequest;
  return [
    {
      target: `CPU per revocation ≤ ${TARGETS.cpuRatioToPassthrough} × the passthrough's`,
      value:
        cpuRatio === undefined
          ? 'not measured'
          : `${fmt(cpuRatio)} × (${fmt(cpu ?? NaN, 3)} vs ${fmt(base ?? NaN, 3)} ms)` +
            (floorCpu === undefined || base === undefined
              ? ''
              : `; the durable floor ${fmt(floorCpu / base)} × (${fmt(floorCpu, 3)} ms)`),
      met: cpuRatio === undefined ? null : cpuRatio <= TARGETS.cpuRatioToPassthrough,
    },
    {
      target: `throughput ≥ ${TARGETS.throughputRatioToPassthrough * 100} % of the passthrough's`,
      value:
        `${fmt(throughput * 100, 1)} % (${fmt(f.rescind.rps, 0)} vs ${fmt(f.passthrough.rps, 0)} req/s)` +
        (f.floor === undefined
          ? ''
          : `; the durable floor ${fmt((f.floor.rps / f.passthrough.rps) * 100, 1)} %`),
      met: throughput >= TARGETS.throughputRatioToPassthrough,
    },
    {
      target: 'exactly one IAM call per scope during the run',
      value: `${f.rescind.iamCalls ?? 0} IAM call(s), 1 scope`,
      met: f.rescind.iamCalls === 1,
    },
  ];
}

function memoryTargets(f: TargetFigures): TargetResult[] {
  const peak = f.rescind.peakRssMB ?? Number.POSITIVE_INFINITY;
  return [
    {
      target: `peak RSS ≤ ${TARGETS.peakRssMB} MB at ${TARGETS.peakRssConnections} connections`,
      value: `${fmt(peak, 0)} MB at ${f.connections} connections`,
      met: f.connections >= TARGETS.peakRssConnections ? peak <= TARGETS.peakRssMB : null,
    },
    {
      target: `idle RSS ≤ ${TARGETS.idleRssMB} MB`,
      value:
        `${fmt(f.idleRssMB, 0)} MB` +
        (f.nodeFloor === undefined
          ? ''
          : `; Node alone ${fmt(f.nodeFloor.bareMB, 0)} MB, with one idle worker thread ` +
            `${fmt(f.nodeFloor.withWorkerMB, 0)} MB`),
      met: f.idleRssMB <= TARGETS.idleRssMB,
    },
  ];
}

function startupTarget(f: TargetFigures): TargetResult {
  return {
    target: `start-up to ready ≤ ${TARGETS.startupMedianMs} ms (median)`,
    value: `${fmt(f.startupMedianMs, 0)} ms`,
    met: f.startupMedianMs <= TARGETS.startupMedianMs,
  };
}

function fmt(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '—';
}
