// The background probe of a failing audit store: one timer, started when the store fails and
// stopped when it recovers or the trail closes. It never keeps the process alive.

export interface ProbeTimer {
  start(): void;
  stop(): void;
}

export function createProbeTimer(intervalMs: number, probe: () => void): ProbeTimer {
  let timer: NodeJS.Timeout | null = null;
  return {
    start() {
      if (timer !== null) return;
      timer = setInterval(probe, intervalMs);
      timer.unref();
    },
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
  };
}
