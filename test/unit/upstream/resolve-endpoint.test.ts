import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyNetworkError } from '../../../src/upstream/classify-network-error.ts';
import { resolveEndpoint } from '../../../src/upstream/resolve-endpoint.ts';

describe('resolveEndpoint', () => {
  it("fills {region} with the project's region", () => {
    assert.equal(
      resolveEndpoint('https://kms.{region}.myhuaweicloud.com', 'eu-west-101'),
      'https://kms.eu-west-101.myhuaweicloud.com',
    );
  });

  it('keeps a base path and drops a trailing slash', () => {
    assert.equal(resolveEndpoint('http://127.0.0.1:9000/kms/', 'x'), 'http://127.0.0.1:9000/kms');
  });

  it('refuses a region that would change the host or path', () => {
    assert.equal(resolveEndpoint('https://kms.{region}.example.com', 'evil.com/x'), undefined);
    assert.equal(resolveEndpoint('https://kms.{region}.example.com', 'a@b'), undefined);
  });

  it('refuses what is not a plain http(s) base URL', () => {
    assert.equal(resolveEndpoint('ftp://kms.example.com', 'r'), undefined);
    assert.equal(resolveEndpoint('https://kms.example.com?x=1', 'r'), undefined);
    assert.equal(resolveEndpoint('https://user:pw@kms.example.com', 'r'), undefined);
    assert.equal(resolveEndpoint('not a url', 'r'), undefined);
  });
});

describe('classifyNetworkError', () => {
  // prettier-ignore
  const ROWS = [
    ['ECONNREFUSED', 'refused'], ['ECONNRESET', 'reset'], ['EPIPE', 'reset'],
    ['ETIMEDOUT', 'timeout'], ['ENOTFOUND', 'dns'], ['EAI_AGAIN', 'dns'],
    ['EHOSTUNREACH', 'other'], ['CERT_HAS_EXPIRED', 'other'],
  ] as const;
  for (const [code, kind] of ROWS) {
    it(`classifies ${code} as ${kind}`, () => {
      assert.equal(classifyNetworkError(Object.assign(new Error('x'), { code })), kind);
    });
  }

  it('classifies something without a code as other', () => {
    assert.equal(classifyNetworkError(new Error('x')), 'other');
    assert.equal(classifyNetworkError('boom'), 'other');
  });
});
