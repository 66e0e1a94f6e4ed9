import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { canonicalJson } from '../../../src/audit/chain/canonical-json.ts';
import { hashRecord } from '../../../src/audit/chain/seal-record.ts';

interface Vector {
  readonly name: string;
  readonly input: string;
  readonly canonical: string;
  readonly sha256: string;
}

/** The vectors of docs/audit-canonical-json.md: the page is the specification. */
function vectorsOfTheSpec(): Vector[] {
  const text = readFileSync(
    new URL('../../../docs/audit-canonical-json.md', import.meta.url),
    'utf8',
  );
  return text
    .split(/^### /m)
    .slice(1)
    .filter((section) => /^V\d+/.test(section))
    .map((section) => {
      const blocks = [...section.matchAll(/```(\w*)\n([\s\S]*?)\n```/g)];
      const sha = /SHA-256: `([0-9a-f]{64})`/.exec(section);
      const input = blocks[0];
      const canonical = blocks[1];
      assert.ok(input && canonical && sha, `vector ${section.split('\n')[0]} is complete`);
      assert.equal(input[1], 'json');
      return {
        name: section.split('\n')[0] ?? '',
        input: input[2] ?? '',
        canonical: canonical[2] ?? '',
        sha256: sha[1] ?? '',
      };
    });
}

describe('canonical JSON', () => {
  const vectors = vectorsOfTheSpec();

  test('the specification holds at least seven vectors', () => {
    assert.ok(vectors.length >= 7, `found ${vectors.length}`);
  });

  for (const vector of vectors) {
    test(`matches the specification's vector ${vector.name}`, () => {
      const canonical = canonicalJson(JSON.parse(vector.input));
      assert.equal(canonical, vector.canonical);
      assert.equal(createHash('sha256').update(canonical, 'utf8').digest('hex'), vector.sha256);
    });
  }

  test('record vectors hash to the hash a record carries', () => {
    const record = vectors.find((vector) => vector.name.startsWith('V6'));
    assert.ok(record);
    assert.equal(hashRecord(JSON.parse(record.input) as object), record.sha256);
    const withHash = { ...(JSON.parse(record.input) as object), hash: 'ignored' };
    assert.equal(hashRecord(withHash), record.sha256, 'the hash member is left out');
  });

  test('writes DEL, U+2028 and U+0080 as themselves, as JSON.stringify does', () => {
    assert.equal(canonicalJson({ s: '\u007f\u2028\u0080' }), '{"s":"\u007f\u2028\u0080"}');
  });

  test('leaves out undefined members but keeps null ones', () => {
    assert.equal(canonicalJson({ b: undefined, a: null }), '{"a":null}');
  });

  test('refuses what JSON cannot represent exactly', () => {
    for (const value of [
      { n: Number.NaN },
      { n: Number.POSITIVE_INFINITY },
      [undefined],
      { d: new Date(0) },
      { m: new Map() },
      { f: () => 1 },
      { b: 1n },
    ]) {
      assert.throws(() => canonicalJson(value), TypeError);
    }
  });

  test('gives the same text whatever order members were inserted in', () => {
    assert.equal(
      canonicalJson({ z: 1, a: { y: 2, b: 3 } }),
      canonicalJson({ a: { b: 3, y: 2 }, z: 1 }),
    );
  });
});
