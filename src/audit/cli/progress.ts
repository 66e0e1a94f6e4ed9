// Progress of the long audit commands (audit:verify, audit:export, audit:report): records done,
// rate and time left, redrawn on one terminal line. Only on a terminal: when the stream is not a
// TTY nothing is written, so scripts and CI logs stay clean. The stream and the clock are
// parameters, so the line is tested without a terminal or a wait.

/** The part of a WriteStream the progress line needs (process.stderr is one). */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): boolean;
}

export interface ProgressOptions {
  readonly stream: ProgressStream;
  /** Milliseconds, monotonic (performance.now). */
  readonly clock: () => number;
  /** What is running: `audit:verify`. */
  readonly label: string;
  /** How often the line is redrawn at most. */
  readonly intervalMs?: number;
}

export interface Progress {
  /** False when nothing is shown (not a terminal): callers may skip work done only for it. */
  readonly active: boolean;
  /** `records` done so far; `fraction` of the whole (0…1) when it is known, for time left. */
  update(records: number, fraction?: number): void;
  /** Clears the line: whatever is printed next starts on a clean line. */
  done(): void;
}

const CLEAR_LINE = '\r\u001b[2K';
const DEFAULT_INTERVAL_MS = 250;

export function createProgress(options: ProgressOptions): Progress {
  if (options.stream.isTTY !== true) {
    return { active: false, update: () => undefined, done: () => undefined };
  }
  const { stream, clock, label } = options;
  const interval = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const started = clock();
  // The first line waits one interval: a command that ends sooner shows none.
  let lastDrawn = started;
  let drawn = false;
  return {
    active: true,
    update(records, fraction) {
      const now = clock();
      if (now - lastDrawn < interval) return;
      lastDrawn = now;
      drawn = true;
      stream.write(CLEAR_LINE + progressLine(label, records, (now - started) / 1000, fraction));
    },
    done() {
      if (drawn) stream.write(CLEAR_LINE);
      drawn = false;
    },
  };
}

/** `audit:verify: 120,000 records, 35,000/s, 23 s left` (time left only when it can be told). */
export function progressLine(
  label: string,
  records: number,
  elapsedSeconds: number,
  fraction?: number,
): string {
  const parts = [`${label}: ${records.toLocaleString('en-US')} record${records === 1 ? '' : 's'}`];
  if (elapsedSeconds > 0) {
    parts.push(`${Math.round(records / elapsedSeconds).toLocaleString('en-US')}/s`);
  }
  if (fraction !== undefined && fraction > 0 && elapsedSeconds > 0) {
    const left = (elapsedSeconds * (1 - Math.min(fraction, 1))) / fraction;
    parts.push(`${formatSeconds(left)} left`);
  }
  return parts.join(', ');
}

function formatSeconds(seconds: number): string {
  const whole = Math.ceil(seconds);
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  return minutes < 60
    ? `${minutes} min ${rest} s`
    : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * Passes `items` through, counting them into `progress`; `fraction(count, item)` tells how much
 * of the whole is done when that is known. The line is cleared when the iteration ends, however.
 */
export async function* withProgress<T>(
  items: AsyncIterable<T>,
  progress: Progress,
  fraction?: (count: number, item: T) => number | undefined,
): AsyncGenerator<T> {
  let count = 0;
  try {
    for await (const item of items) {
      count += 1;
      if (progress.active) progress.update(count, fraction?.(count, item));
      yield item;
    }
  } finally {
    progress.done();
  }
}
