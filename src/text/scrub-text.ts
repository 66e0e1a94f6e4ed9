// Text the gateway did not write (a caller's value, a cloud's or IAM's message) made safe to
// echo, log or audit: control characters handled, length bounded. This file holds the only
// control-character pattern in src/ (test/unit/text/one-control-pattern.test.ts keeps it so);
// callers choose the behaviour they need through the options below.

// eslint-disable-next-line no-control-regex -- control characters are exactly what is matched
const CONTROL_RUNS = /[\u0000-\u001f\u007f]+/g;

/** Whether `text` holds any control character (C0 or DEL). */
export function hasControlCharacters(text: string): boolean {
  // `search` ignores and restores `lastIndex`, so the shared global pattern is safe here.
  return text.search(CONTROL_RUNS) !== -1;
}

export interface ScrubOptions {
  /**
   * - `mark`: each control character becomes `?`, so a caller's value keeps its length and
   *   shows where something was refused;
   * - `space`: each run of control characters becomes one space, so a message reads as prose.
   */
  readonly controls: 'mark' | 'space';
  /** Trim white space at both ends after replacing. Default false. */
  readonly trim?: boolean;
  /** At most this many characters are kept. */
  readonly maxLength?: number;
  /** How a cut text shows it was cut. Default `none`. */
  readonly ellipsis?: Ellipsis;
}

/** `text` with its control characters replaced and its length bounded, as `options` say. */
export function scrubText(text: string, options: ScrubOptions): string {
  let scrubbed =
    options.controls === 'mark'
      ? text.replace(CONTROL_RUNS, (run) => '?'.repeat(run.length))
      : text.replace(CONTROL_RUNS, ' ');
  if (options.trim === true) scrubbed = scrubbed.trim();
  return options.maxLength === undefined
    ? scrubbed
    : boundLength(scrubbed, options.maxLength, options.ellipsis);
}

/**
 * How a cut text ends: `none`, simply cut; `within`, its last kept character becomes `…` (the
 * result is at most `max` long); `after`, `max` characters and then `…` (for logs and messages,
 * where only the kept part is bounded).
 */
export type Ellipsis = 'none' | 'within' | 'after';

/** `text` cut to `max` characters, ending as `ellipsis` says when it was cut. */
export function boundLength(text: string, max: number, ellipsis: Ellipsis = 'none'): string {
  if (text.length <= max) return text;
  if (ellipsis === 'within') return `${text.slice(0, max - 1)}…`;
  return ellipsis === 'after' ? `${text.slice(0, max)}…` : text.slice(0, max);
}
