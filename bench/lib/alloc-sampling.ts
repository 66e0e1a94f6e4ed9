// Preloaded into the gateway (`npm run bench -- --node-flags=--import=./bench/lib/alloc-sampling.ts`):
// V8's sampling heap profiler, counting objects that garbage collection has already freed too,
// from 5 s after start for 10 s, and the HTTP requests served meanwhile. The profile is written
// to bench/results/alloc-<pid>.json; `node_modules/.bin/node bench/alloc-summary.ts <file>` gives
// the bytes allocated per request and where.
import dc from 'node:diagnostics_channel';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { threadId } from 'node:worker_threads';

const START_MS = Number(process.env.ALLOC_START_MS ?? 5000);
const SAMPLE_MS = Number(process.env.ALLOC_SAMPLE_MS ?? 10000);
const session = new Session();
session.connect();
function post<T = unknown>(method: string, params: object = {}): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    session.post(method, params, (error, result) => {
      if (error) reject(error);
      else resolve(result as T);
    });
  });
}

let counting = false;
let requests = 0;
dc.subscribe('http.server.request.start', () => {
  if (counting) requests += 1;
});

setTimeout(() => {
  void sample();
}, START_MS).unref();

async function sample(): Promise<void> {
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    // ALLOC_SAMPLING=promoted: only what survived the young generation (promoted to old space).
    includeObjectsCollectedByMinorGC: process.env.ALLOC_SAMPLING !== 'promoted',
  });
  counting = true;
  setTimeout(() => {
    void save();
  }, SAMPLE_MS).unref();
}

async function save(): Promise<void> {
  counting = false;
  const { profile } = await post<{ profile: object }>('HeapProfiler.stopSampling');
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    `bench/results/alloc-${process.pid}${threadId === 0 ? '' : `-thread${threadId}`}.json`,
    JSON.stringify({ ...profile, requests }),
  );
}
