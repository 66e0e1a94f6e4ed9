// The one reader of every error body, over the one table of bodies (test/fixtures/error-bodies.ts).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readErrorEnvelope } from '../../../src/upstream/read-error-envelope.ts';
import { envelopeFields, ERROR_BODIES } from '../../fixtures/error-bodies.ts';

describe('readErrorEnvelope', () => {
  for (const row of ERROR_BODIES) {
    it(`reads ${row.name}`, () => {
      const envelope = readErrorEnvelope(row.body);
      assert.deepEqual(envelope, envelopeFields(row));
    });
  }

  it('flattens control characters and keeps a long message whole for the caller to scrub', () => {
    const long = `a\r\nb\u0000${'x'.repeat(5000)}`;
    const envelope = readErrorEnvelope({ error_code: 'X.1', error_msg: long });
    assert.equal(envelope.message, `a b ${'x'.repeat(5000)}`);
  });

  it('stays bounded on a body nested thousands of levels deep', () => {
    let body: Record<string, unknown> = { error_code: 'DEEP', error_msg: 'too deep to matter' };
    for (let depth = 0; depth < 5000; depth += 1) body = { next: body, [`k${depth}`]: {} };
    const envelope = readErrorEnvelope(body);
    assert.equal(envelope.code, undefined);
  });
});
