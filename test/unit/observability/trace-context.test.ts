import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { continueTrace, parseTraceparent } from '../../../src/observability/trace-context.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

describe('continueTrace', () => {
  it("continues a valid traceparent: the caller's trace id and flags, a new span of ours", () => {
    const trace = continueTrace(`00-${TRACE}-${PARENT}-01`);
    assert.equal(trace.traceId, TRACE);
    assert.equal(trace.flags, '01');
    assert.equal(trace.continued, true);
    assert.notEqual(trace.spanId, PARENT);
    assert.equal(trace.traceparent, `00-${TRACE}-${trace.spanId}-01`);
  });

  it('keeps an unsampled flag as the caller sent it', () => {
    assert.equal(continueTrace(`00-${TRACE}-${PARENT}-00`).traceparent.slice(-2), '00');
  });

  it('starts a sampled trace when there is no header', () => {
    const trace = continueTrace(undefined);
    assert.equal(trace.continued, false);
    assert.match(trace.traceparent, TRACEPARENT);
    assert.equal(trace.flags, '01');
    assert.notEqual(continueTrace(undefined).traceId, trace.traceId, 'each trace is new');
  });

  const invalid: [string, string][] = [
    ['empty', ''],
    ['garbage', 'hello'],
    ['uppercase hex', `00-${TRACE.toUpperCase()}-${PARENT}-01`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['an all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['the forbidden version ff', `ff-${TRACE}-${PARENT}-01`],
    ['version 00 with an extra field', `00-${TRACE}-${PARENT}-01-extra`],
    ['a short trace id', `00-${TRACE.slice(1)}-${PARENT}-01`],
    ['two headers joined by Node', `00-${TRACE}-${PARENT}-01, 00-${TRACE}-${PARENT}-01`],
  ];
  for (const [name, header] of invalid) {
    it(`starts a new trace instead of continuing one with ${name}`, () => {
      const trace = continueTrace(header);
      assert.equal(trace.continued, false);
      assert.notEqual(trace.traceId, TRACE);
      assert.match(trace.traceparent, TRACEPARENT);
    });
  }

  it('continues a later version by its first four fields, and answers in version 00', () => {
    const trace = continueTrace(`01-${TRACE}-${PARENT}-01-what-comes-next`);
    assert.equal(trace.traceId, TRACE);
    assert.match(trace.traceparent, new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
  });

  it('ignores whitespace around the header', () => {
    assert.equal(continueTrace(`  00-${TRACE}-${PARENT}-01 `).traceId, TRACE);
  });
});

describe('parseTraceparent', () => {
  it('returns the parent span id the caller sent', () => {
    assert.deepEqual(parseTraceparent(`00-${TRACE}-${PARENT}-01`), {
      traceId: TRACE,
      parentId: PARENT,
      flags: '01',
    });
  });
});
