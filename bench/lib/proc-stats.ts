// Memory of another process, read from /proc (Linux). The gateway runs as its own process, so
// its RSS is measured from outside without adding anything to it.

import { readdirSync, readFileSync } from 'node:fs';

export interface ProcMemory {
  /** Resident set size now, in bytes. */
  readonly rss: number;
  /** Peak resident set size since the process started (VmHWM), in bytes. */
  readonly peakRss: number;
}

/** The process's memory, or undefined when it is gone or /proc is unavailable. */
export function readProcMemory(pid: number): ProcMemory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    return match?.[1] === undefined ? Number.NaN : Number(match[1]) * 1024;
  };
  return { rss: kb('VmRSS'), peakRss: kb('VmHWM') };
}

/** CPU time (user + system) the process (or `pid/task/tid`, a thread) used so far, in seconds. */
export function readProcCpuSeconds(pid: number | string): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name, which may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

export interface RssSampler {
  /** Samples so far: [seconds since start, RSS bytes]. */
  samples(): readonly (readonly [number, number])[];
  /** Highest RSS seen by the sampler (and VmHWM, whichever is higher), in bytes. */
  peak(): number;
  stop(): void;
}

/** Samples the process's RSS every `intervalMs` until stopped (or the process is gone). */
export function sampleRss(pid: number, intervalMs: number): RssSampler {
  const started = performance.now();
  const samples: [number, number][] = [];
  let peak = 0;
  const take = () => {
    const memory = readProcMemory(pid);
    if (memory === undefined) return;
    samples.push([(performance.now() - started) / 1000, memory.rss]);
    peak = Math.max(peak, memory.rss, Number.isNaN(memory.peakRss) ? 0 : memory.peakRss);
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    samples: () => samples,
    peak: () => peak,
    stop() {
      take();
      clearInterval(timer);
    },
  };
}

/** CPU seconds per thread name (`/proc/<pid>/task/<tid>/comm`), threads of one name summed. */
export function readThreadCpuSeconds(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byName;
  }
  for (const tid of tids) {
    const seconds = readProcCpuSeconds(`${pid}/task/${tid}`);
    if (seconds === undefined) continue;
    let name: string;
    try {
      name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    byName.set(name, (byName.get(name) ?? 0) + seconds);
  }
  return byName;
}
