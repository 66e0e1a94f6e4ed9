// Waiting for what no event announces: polls a condition until it holds.

import assert from 'node:assert/strict';

export interface EventuallyOptions {
  /** Give up (and fail) after this many ms; default 2000. */
  readonly timeoutMs?: number;
  /** Poll every this many ms; default 5. */
  readonly everyMs?: number;
}

/** Resolves once `check` holds; fails with "timed out waiting for `what`" after the timeout. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  options: EventuallyOptions = {},
): Promise<void> {
  const giveUp = performance.now() + (options.timeoutMs ?? 2000);
  while (!(await check())) {
    if (performance.now() > giveUp) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 5));
  }
}
