import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  readEmail,
  readGroupsClaim,
  readGroupsHeader,
  readSubject,
} from '../../../src/identity/identity-values.ts';

describe('readGroupsClaim: groups grant privileges, so nothing is guessed', () => {
  const cases: readonly [name: string, claim: unknown, groups: string[]][] = [
    ['an array of strings is the groups', ['secops', 'dev'], ['secops', 'dev']],
    [
      'non-string entries are ignored',
      ['secops', 1, true, null, { g: 'admins' }, ['x']],
      ['secops'],
    ],
    ['duplicates are dropped', ['a', 'a', 'b'], ['a', 'b']],
    ['empty and padded names are ignored', ['', ' admins', 'ok'], ['ok']],
    ['control characters are refused', ['a\nb', 'c\u0000'], []],
    ['a single string is exactly one group', 'secops', ['secops']],
    ['a string is never split on commas', 'secops,admins', ['secops,admins']],
    ['a string is never split on spaces', 'secops admins', ['secops admins']],
    ['absent is no groups', undefined, []],
    ['a number is no groups', 7, []],
    ['an object is no groups', { secops: true }, []],
    ['null is no groups', null, []],
  ];
  for (const [name, claim, groups] of cases) {
    test(name, () => {
      assert.deepEqual(readGroupsClaim(claim), groups);
    });
  }
});

describe('readGroupsHeader', () => {
  test('splits on commas and trims', () => {
    assert.deepEqual(readGroupsHeader(' secops , dev,,ops '), ['secops', 'dev', 'ops']);
  });
  test('absent is no groups', () => {
    assert.deepEqual(readGroupsHeader(undefined), []);
  });
});

describe('readSubject and readEmail', () => {
  test('keep a plain name exactly', () => {
    assert.equal(readSubject('svc-cert-rotator'), 'svc-cert-rotator');
    assert.equal(readEmail('a@example.com'), 'a@example.com');
  });
  test('refuse empty, padded, overlong, non-string and control-character values', () => {
    for (const value of ['', ' alice', 'alice ', 'x'.repeat(257), 42, null, {}, 'al\rice']) {
      assert.equal(readSubject(value), undefined, JSON.stringify(value));
    }
    assert.equal(readEmail(['a@example.com']), undefined);
  });
});
