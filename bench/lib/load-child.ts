// The load generator, run as a child process of its own (bench/lib/load.ts starts it) so that
// its CPU is not the measured server's. It drives autocannon and records every response's
// latency itself, with sub-millisecond resolution (autocannon's own histogram keeps whole
// milliseconds, too coarse for a loopback proxy), for every status, not only 2xx.
//
//   node bench/lib/load-child.ts '<LoadSpec JSON>'   → one JSON line (LoadResult) on stdout

import autocannon from 'autocannon';
import type { LoadResult, LoadSpec } from './load.ts';
import { summarizeLatencies } from './stats.ts';

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;

let latencies = new Float64Array(1 << 16);
let count = 0;
const statuses: Record<string, number> = {};

const instance = autocannon({
  url: spec.url,
  method: spec.method,
  headers: spec.headers,
  ...(spec.body === undefined ? {} : { body: spec.body }),
  connections: spec.connections,
  duration: spec.durationSeconds,
  ...(spec.overallRate === undefined ? {} : { overallRate: spec.overallRate }),
  timeout: spec.timeoutSeconds ?? 10,
  // Rate-limited runs measure the latency each request saw, not a corrected estimate.
  ...(spec.overallRate === undefined ? {} : { ignoreCoordinatedOmission: true }),
});

instance.on('response', (_client: unknown, statusCode: number, _bytes: number, ms: number) => {
  if (count === latencies.length) {
    const grown = new Float64Array(latencies.length * 2);
    grown.set(latencies);
    latencies = grown;
  }
  latencies[count] = ms;
  count += 1;
  const key = String(statusCode);
  statuses[key] = (statuses[key] ?? 0) + 1;
});

instance.on('done', (result: autocannon.Result) => {
  const sorted = latencies.subarray(0, count).sort();
  const out: LoadResult = {
    requests: count,
    durationSeconds: result.duration,
    rps: count / result.duration,
    latencyMs: summarizeLatencies(sorted),
    statuses,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
});
