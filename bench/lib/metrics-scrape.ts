// Reads a few of the gateway's own process metrics from GET /metrics (prom-client's defaults,
// prefixed `rescind_`). The event-loop delay figures come from Node's monitorEventLoopDelay,
// which prom-client resets at every scrape: scraped once a second, each value covers that second.

export interface ProcessMetrics {
  /** Event-loop delay over the last interval, in ms. */
  readonly eventLoopP50Ms?: number;
  readonly eventLoopP99Ms?: number;
  readonly eventLoopMaxMs?: number;
  readonly eventLoopMeanMs?: number;
  readonly heapUsedMB?: number;
  readonly rssMB?: number;
}

const FIELDS: Record<string, [keyof ProcessMetrics, number]> = {
  rescind_nodejs_eventloop_lag_p50_seconds: ['eventLoopP50Ms', 1000],
  rescind_nodejs_eventloop_lag_p99_seconds: ['eventLoopP99Ms', 1000],
  rescind_nodejs_eventloop_lag_max_seconds: ['eventLoopMaxMs', 1000],
  rescind_nodejs_eventloop_lag_mean_seconds: ['eventLoopMeanMs', 1000],
  rescind_process_resident_memory_bytes: ['rssMB', 1 / 2 ** 20],
};

export async function scrapeProcessMetrics(gatewayUrl: string): Promise<ProcessMetrics> {
  const response = await fetch(`${gatewayUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await response.text();
  const out: Record<string, number> = {};
  let heapUsed = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const space = line.lastIndexOf(' ');
    const name = line.slice(0, space);
    const value = Number(line.slice(space + 1));
    const field = FIELDS[name];
    if (field !== undefined) out[field[0]] = value * field[1];
    // One series per V8 heap space; their sum is the heap in use.
    if (name.startsWith('rescind_nodejs_heap_space_size_used_bytes{')) heapUsed += value;
  }
  return { ...out, ...(heapUsed > 0 ? { heapUsedMB: heapUsed / 2 ** 20 } : {}) };
}
