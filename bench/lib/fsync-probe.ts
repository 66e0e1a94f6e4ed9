// This machine's fsync latency, measured where the gateway's audit store lives: the floor under
// every durable commit. A revocation waits for two of them (the attempt before the cloud call,
// the outcome before the answer), so the latency target is stated against this figure.
// Each sample appends one 8 KB page (the audit file's page size) and fsyncs, as a WAL commit does.

import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { summarizeLatencies, type LatencySummary } from './stats.ts';

const PAGE = Buffer.alloc(8192, 0x5a);

/** `samples` append-and-fsync rounds in a scratch file under `dir`; latency of the fsync alone. */
export function measureFsync(dir: string, samples = 2000): LatencySummary {
  const file = join(dir, 'fsync-probe');
  const fd = openSync(file, 'w');
  const times = new Float64Array(samples);
  try {
    for (let i = 0; i < samples; i += 1) {
      writeSync(fd, PAGE);
      const started = performance.now();
      fsyncSync(fd);
      times[i] = performance.now() - started;
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  return summarizeLatencies(times.sort());
}
