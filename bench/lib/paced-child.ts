// An open-loop load generator for latency at a fixed rate, run as its own process like
// load-child.ts. autocannon's `overallRate` sends each connection's quota for a second at the
// start of that second — a burst every second that a server answers from a queue — so the
// latency it reports at "half the maximum rate" is mostly the burst. Here requests are spaced
// evenly (1/rate apart) and each one's latency counts from when it was due to be sent, so a
// server that falls behind is charged for the wait too.
//
//   node bench/lib/paced-child.ts '<LoadSpec JSON with overallRate>'   → one LoadResult JSON line

import { Agent, request } from 'node:http';
import type { LoadResult, LoadSpec } from './load.ts';
import { summarizeLatencies } from './stats.ts';

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const rate = spec.overallRate ?? 100;
const url = new URL(spec.url);
const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
const headers = {
  ...spec.headers,
  ...(body === undefined ? {} : { 'Content-Length': String(body.length) }),
};
const timeoutMs = (spec.timeoutSeconds ?? 10) * 1000;

const latencies: number[] = [];
const statuses: Record<string, number> = {};
let errors = 0;
let timeouts = 0;
let non2xx = 0;
let inFlight = 0;
const queue: number[] = [];

function send(dueAt: number): void {
  inFlight += 1;
  const req = request(
    {
      agent,
      host: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      method: spec.method,
      headers,
      timeout: timeoutMs,
    },
    (res) => {
      res.on('data', () => undefined);
      res.once('end', () => {
        latencies.push(performance.now() - dueAt);
        const status = res.statusCode ?? 0;
        statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
        if (status < 200 || status > 299) non2xx += 1;
        done();
      });
    },
  );
  req.once('timeout', () => {
    timeouts += 1;
    req.destroy(new Error('timeout'));
  });
  req.once('error', () => {
    errors += 1;
    done();
  });
  req.end(body);
}

function done(): void {
  inFlight -= 1;
  const next = queue.shift();
  if (next !== undefined) send(next);
}

const start = performance.now();
const durationMs = spec.durationSeconds * 1000;
const intervalMs = 1000 / rate;
let scheduled = 0;
const tick = setInterval(() => {
  const now = performance.now();
  const due = Math.min(Math.floor((now - start) / intervalMs), Math.floor(durationMs / intervalMs));
  for (; scheduled < due; scheduled += 1) {
    const dueAt = start + scheduled * intervalMs;
    // All connections busy: the request waits here, and the wait counts as its latency.
    if (inFlight < spec.connections) send(dueAt);
    else queue.push(dueAt);
  }
  if (now - start >= durationMs) {
    clearInterval(tick);
    const finish = setInterval(() => {
      if (inFlight > 0 || queue.length > 0) return;
      clearInterval(finish);
      report((performance.now() - start) / 1000);
    }, 5);
  }
}, 1);

function report(seconds: number): void {
  const sorted = Float64Array.from(latencies).sort();
  const count = sorted.length;
  const out: LoadResult = {
    requests: count,
    durationSeconds: seconds,
    rps: count / spec.durationSeconds,
    latencyMs: summarizeLatencies(sorted),
    statuses,
    non2xx,
    errors,
    timeouts,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  agent.destroy();
}
