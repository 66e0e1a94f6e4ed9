import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  parseUpstreamError,
  type UpstreamFault,
} from '../../../src/upstream/parse-upstream-error.ts';
import type { UpstreamAnswer, UpstreamHeaders } from '../../../src/upstream/upstream-answer.ts';
import { envelopeFields, ERROR_BODIES } from '../../fixtures/error-bodies.ts';

const fixture = (name: string): Buffer =>
  readFileSync(new URL(`../../fixtures/upstream/${name}`, import.meta.url));

const JSON_TYPE = { 'content-type': 'application/json;charset=UTF-8' };

interface Row {
  readonly title: string;
  readonly file: string;
  readonly status: number;
  readonly headers?: UpstreamHeaders;
  readonly truncated?: boolean;
  readonly expected: UpstreamFault;
}

const ROWS: readonly Row[] = [
  {
    title: 'reads the flat envelope with its body request id',
    file: 'flat-envelope.json',
    status: 404,
    headers: JSON_TYPE,
    expected: {
      kind: 'envelope',
      status: 404,
      code: 'SCM.0002',
      message: 'The certificate does not exist or has no privacy information.',
      requestId: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
    },
  },
  {
    title: "prefers the X-Request-Id header over the body's request_id",
    file: 'flat-envelope.json',
    status: 404,
    headers: { ...JSON_TYPE, 'x-request-id': 'from-the-header' },
    expected: {
      kind: 'envelope',
      status: 404,
      code: 'SCM.0002',
      message: 'The certificate does not exist or has no privacy information.',
      requestId: 'from-the-header',
    },
  },
  {
    title: "reads KMS's nested envelope",
    file: 'kms-nested.json',
    status: 404,
    headers: { ...JSON_TYPE, 'x-request-id': 'kms-req-1' },
    expected: {
      kind: 'envelope',
      status: 404,
      code: 'KMS.0207',
      message: 'The grant does not exist.',
      requestId: 'kms-req-1',
    },
  },
  {
    title: "reads Keystone's numeric code as a string",
    file: 'keystone.json',
    status: 401,
    headers: JSON_TYPE,
    expected: {
      kind: 'envelope',
      status: 401,
      code: '401',
      message: 'The request you have made requires authentication.',
    },
  },
  {
    title: 'reads a plain code/message envelope',
    file: 'code-message.json',
    status: 400,
    expected: {
      kind: 'envelope',
      status: 400,
      code: 'ModelArts.0104',
      message: 'Parameter error.',
    },
  },
  {
    title: 'reads camelCase errorCode/errorMsg',
    file: 'camel-case.json',
    status: 404,
    expected: {
      kind: 'envelope',
      status: 404,
      code: 'APIG.3021',
      message: 'The SSL certificate does not exist',
    },
  },
  {
    title: 'reads camelCase errorMessage',
    file: 'camel-error-message.json',
    status: 400,
    expected: { kind: 'envelope', status: 400, code: 'SCM.0001', message: 'Invalid parameter.' },
  },
  {
    title: 'keeps encoded_authorization_message apart from the message',
    file: 'encoded-authorization.json',
    status: 403,
    expected: {
      kind: 'envelope',
      status: 403,
      code: 'APIGW.0302',
      message: 'The IAM user is not authorized to access the API.',
      encodedAuthorizationMessage: 'Egpjbi1ub3J0aC00GgNrbXMiCGdyYW50czpyZXZva2U=',
    },
  },
  {
    title: 'finds encoded_authorization_message inside a Keystone envelope',
    file: 'keystone-encoded-authorization.json',
    status: 403,
    expected: {
      kind: 'envelope',
      status: 403,
      code: '403',
      message: 'You are not authorized to perform the requested action: kms:grant:revoke.',
      encodedAuthorizationMessage: 'Egpjbi1ub3J0aC00GgNrbXMi',
    },
  },
  {
    title: 'keeps the raw Retry-After header for the mapping',
    file: 'throttled.json',
    status: 429,
    headers: { ...JSON_TYPE, 'retry-after': '7' },
    expected: {
      kind: 'envelope',
      status: 429,
      code: 'APIG.0308',
      message:
        'The throttling threshold has been reached: policy user over ratelimit,limit:100,time:1 minute',
      requestId: '6c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f',
      retryAfter: '7',
    },
  },
  {
    title: 'reads an OAuth-style error string as the code',
    file: 'oauth-style.json',
    status: 401,
    expected: {
      kind: 'envelope',
      status: 401,
      code: 'invalid_token',
      message: 'The access token expired',
    },
  },
  {
    title: 'ignores a byte-order mark',
    file: 'bom-flat-envelope.json',
    status: 400,
    expected: {
      kind: 'envelope',
      status: 400,
      code: 'APIG.2012',
      message:
        'Invalid parameter value,parameterName:certificate_id. Please refer to the support documentation',
    },
  },
  {
    title: 'flattens control characters and drops a request id that is not a token',
    file: 'control-characters.json',
    status: 400,
    expected: {
      kind: 'envelope',
      status: 400,
      code: 'SCM.0001',
      message: 'Invalid parameter: cert_id',
    },
  },
  {
    title: 'reports JSON without a known envelope as json, without inventing a message',
    file: 'json-without-envelope.json',
    status: 503,
    expected: { kind: 'json', status: 503 },
  },
  {
    title: 'reports cut-off JSON as truncated-json',
    file: 'truncated.json',
    status: 500,
    headers: JSON_TYPE,
    expected: { kind: 'truncated-json', status: 500 },
  },
  {
    title: 'reports an empty body as empty',
    file: 'empty.txt',
    status: 502,
    expected: { kind: 'empty', status: 502 },
  },
  {
    title: 'reports a whitespace-only body as empty',
    file: 'whitespace.txt',
    status: 502,
    expected: { kind: 'empty', status: 502 },
  },
  {
    title: "passes on an HTML page's title when it is a bare status line",
    file: 'nginx-502.html',
    status: 502,
    headers: { 'content-type': 'text/html', 'x-request-id': 'lb-1' },
    expected: { kind: 'html', status: 502, message: '502 Bad Gateway', requestId: 'lb-1' },
  },
  {
    title: 'does not pass on an HTML title that names an internal host',
    file: 'internal-host.html',
    status: 503,
    headers: { 'content-type': 'text/html' },
    expected: { kind: 'html', status: 503 },
  },
  {
    title: "does not pass on a proxy's free text (it names an internal address)",
    file: 'proxy-text.txt',
    status: 503,
    headers: { 'content-type': 'text/plain' },
    expected: { kind: 'text', status: 503 },
  },
  {
    title: 'reports a body cut at the read cap as oversized, whatever its beginning says',
    file: 'nginx-502.html',
    status: 502,
    headers: { 'content-type': 'text/html', 'x-request-id': 'big-1' },
    truncated: true,
    expected: { kind: 'oversized', status: 502, requestId: 'big-1' },
  },
];

describe('parseUpstreamError', () => {
  // The one table of error bodies, read by the same reader as IAM's answers.
  for (const row of ERROR_BODIES) {
    it(`reads ${row.name} from a service's 403`, () => {
      const answer: UpstreamAnswer = {
        status: 403,
        headers: JSON_TYPE,
        body: Buffer.from(JSON.stringify(row.body)),
        truncated: false,
        durationMs: 1,
      };
      const found = row.code !== undefined || row.message !== undefined;
      assert.deepEqual(parseUpstreamError(answer), {
        kind: found ? 'envelope' : 'json',
        status: 403,
        ...envelopeFields(row),
      });
    });
  }

  for (const row of ROWS) {
    it(`${row.title} (${row.file})`, () => {
      const answer: UpstreamAnswer = {
        status: row.status,
        headers: row.headers ?? {},
        body: fixture(row.file),
        truncated: row.truncated ?? false,
        durationMs: 3,
      };
      assert.deepEqual(parseUpstreamError(answer), row.expected);
    });
  }

  it('caps the message at 1,024 characters (long-message.json)', () => {
    const fault = parseUpstreamError({
      status: 500,
      headers: {},
      body: fixture('long-message.json'),
      truncated: false,
      durationMs: 1,
    });
    assert.equal(fault.code, 'SCM.9999');
    assert.equal(fault.message?.length, 1024);
  });

  for (const [error, sent] of [
    ['refused', false],
    ['reset', true],
    ['timeout', true],
    ['timeout', false],
    ['dns', false],
    ['other', false],
  ] as const) {
    it(`reports a ${error} network failure (sent: ${sent}) with no status`, () => {
      assert.deepEqual(parseUpstreamError({ error, sent, durationMs: 5 }), {
        kind: 'network',
        network: error,
        sent,
      });
    });
  }
});
