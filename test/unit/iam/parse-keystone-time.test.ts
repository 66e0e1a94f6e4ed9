import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKeystoneTime } from '../../../src/iam/parse-keystone-time.ts';

const EXPECTED = Date.UTC(2020, 0, 4, 9, 5, 22, 701);

const readable: [string, number][] = [
  ['2020-01-04T09:05:22.701000Z', EXPECTED],
  ['2020-01-04T09:05:22.701Z', EXPECTED],
  ['2020-01-04T09:05:22.7019999Z', EXPECTED],
  ['2020-01-04T09:05:22.701000', EXPECTED],
  ['2020-01-04 09:05:22.701000', EXPECTED],
  ['2020-01-04T17:05:22.701000+08:00', EXPECTED],
  ['2020-01-04T04:05:22.701-0500', EXPECTED],
  ['2020-01-04T09:05:22Z', Date.UTC(2020, 0, 4, 9, 5, 22)],
  [' 2020-01-04T09:05:22.701000Z\n', EXPECTED],
  ['2024-02-29T00:00:00.000000Z', Date.UTC(2024, 1, 29)],
];
for (const [text, expected] of readable) {
  test(`reads ${JSON.stringify(text)} as UTC milliseconds`, () => {
    assert.equal(parseKeystoneTime(text), expected);
  });
}

const unreadable = [
  '',
  'never',
  '1578128722',
  '2020-01-04',
  '2020-13-04T09:05:22.701000Z',
  '2023-02-29T09:05:22.701000Z',
  '2020-01-04T24:05:22.701000Z',
  '2020-01-04T09:05:22.Z',
  '2020-01-04T09:05:22.701000+25:00',
  'Sat, 04 Jan 2020 09:05:22 GMT',
  '0020-01-04T09:05:22.701000Z',
  '2020-01-04T09:05:22.701000Z trailing',
];
for (const text of unreadable) {
  test(`refuses ${JSON.stringify(text)} instead of guessing an expiry`, () => {
    assert.equal(parseKeystoneTime(text), undefined);
  });
}
