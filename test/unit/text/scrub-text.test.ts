import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { safeRequestId } from '../../../src/text/safe-request-id.ts';
import { boundLength, hasControlCharacters, scrubText } from '../../../src/text/scrub-text.ts';

describe('scrubText', () => {
  test('mark: each control character becomes ? and the length is cut at maxLength', () => {
    assert.equal(scrubText('a\r\nb\u007fc', { controls: 'mark' }), 'a??b?c');
    assert.equal(scrubText('ab\ncd', { controls: 'mark', maxLength: 3 }), 'ab?');
  });

  test('space: a run of control characters becomes one space, then ends are trimmed', () => {
    assert.equal(scrubText('\tbad\r\n\u0000request\n', { controls: 'space' }), ' bad request ');
    assert.equal(scrubText('\tbad\r\nrequest\n', { controls: 'space', trim: true }), 'bad request');
  });

  test('a cut text may end in an ellipsis, within maxLength', () => {
    const cut = scrubText('abcdef', { controls: 'space', maxLength: 4, ellipsis: 'within' });
    assert.equal(cut, 'abc…');
    assert.equal(boundLength('abcd', 4, 'within'), 'abcd');
    assert.equal(boundLength('abcdef', 4, 'after'), 'abcd…');
    assert.equal(boundLength('abcdef', 4), 'abcd');
  });

  test('hasControlCharacters sees C0 and DEL, not printable or non-ASCII text', () => {
    assert.equal(hasControlCharacters('alice\u0000'), true);
    assert.equal(hasControlCharacters('alice\u007f'), true);
    assert.equal(hasControlCharacters('alice'), false);
    assert.equal(hasControlCharacters('Zoë Ünal'), false);
    // The shared pattern is global; repeated calls must not depend on each other.
    assert.equal(hasControlCharacters('x\n'), true);
    assert.equal(hasControlCharacters('x\n'), true);
  });
});

describe('safeRequestId', () => {
  test('caller ids start with a letter or digit; IAM ids may start with any allowed character', () => {
    assert.equal(safeRequestId('.abc', 'caller'), undefined);
    assert.equal(safeRequestId('.abc', 'iam'), '.abc');
    assert.equal(safeRequestId('req-1:a.b_c', 'caller'), 'req-1:a.b_c');
  });

  test('cloud ids are trimmed and may hold any visible ASCII; spaces and controls are refused', () => {
    assert.equal(safeRequestId('  a/b+c=  ', 'cloud'), 'a/b+c=');
    assert.equal(safeRequestId('a b', 'cloud'), undefined);
    assert.equal(safeRequestId('a\nb', 'iam'), undefined);
  });

  test('at most 128 characters, and only strings', () => {
    assert.equal(safeRequestId('a'.repeat(128), 'caller'), 'a'.repeat(128));
    for (const source of ['caller', 'iam', 'cloud'] as const) {
      assert.equal(safeRequestId('a'.repeat(129), source), undefined);
      assert.equal(safeRequestId(['a'], source), undefined);
      assert.equal(safeRequestId('', source), undefined);
    }
  });
});
