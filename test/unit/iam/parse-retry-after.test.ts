import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_RETRY_AFTER_SECONDS, parseRetryAfter } from '../../../src/iam/parse-retry-after.ts';

const NOW = Date.UTC(2025, 0, 6, 9, 0, 0);

const cases: [string | null, number | undefined][] = [
  [null, undefined],
  ['', undefined],
  ['soon', undefined],
  ['-5', undefined],
  ['1.5', undefined],
  ['7', 7],
  [' 12 ', 12],
  ['0', 1],
  ['999999', MAX_RETRY_AFTER_SECONDS],
  ['Mon, 06 Jan 2025 09:00:30 GMT', 30],
  ['Mon, 06 Jan 2025 08:00:00 GMT', 1],
  ['2025-01-06T09:00:30Z', undefined],
];
for (const [header, expected] of cases) {
  test(`reads Retry-After ${JSON.stringify(header)} as ${String(expected)} seconds`, () => {
    assert.equal(parseRetryAfter(header, NOW), expected);
  });
}
