// The three reference signatures the official Node SDK's signer produced (docs/credentials.md
// "Signing"), reproduced byte for byte, and the canonical request of the first one line by line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  canonicalPath,
  canonicalQuery,
  EMPTY_BODY_SHA256,
  formatSdkDate,
  signRequest,
  type RequestToSign,
} from '../../../src/credentials/sign-request.ts';

const KEY = { accessKey: 'AKTESTEXAMPLE0000000', secretKey: 'sk-test-example-secret' };
const TIME = Date.parse('2024-01-02T03:04:05Z');
const PROJECT = '0123456789abcdef0123456789abcdef';
const HEADERS = { 'Content-Type': 'application/json', 'X-Project-Id': PROJECT };
const SIGNED = 'content-type;host;x-project-id;x-sdk-date';
const authorization = (signature: string) =>
  `SDK-HMAC-SHA256 Access=AKTESTEXAMPLE0000000, SignedHeaders=${SIGNED}, Signature=${signature}`;

const KMS_BODY =
  '{"key_id":"0d0466b0-e727-4d9c-b35d-f84bb474a37f","grant_id":"7c9a3286af4fcca5f0a385ad13e1d21a50e27b6dbcab50f37f30f93b8939827d","sequence":"919c82d4-8046-4722-9094-35c3c6524cff"}';

const V1: RequestToSign = {
  method: 'POST',
  host: 'kms.cn-north-4.myhuaweicloud.com',
  path: `/v1.0/${PROJECT}/kms/revoke-grant`,
  headers: HEADERS,
  body: Buffer.from(KMS_BODY),
  time: TIME,
};

test('V1: KMS revoke-grant signs the exact body bytes, with the canonical request of the SDK', () => {
  const signed = signRequest(V1, KEY);
  assert.equal(
    signed.canonicalRequest,
    [
      'POST',
      `/v1.0/${PROJECT}/kms/revoke-grant/`,
      '',
      'content-type:application/json',
      'host:kms.cn-north-4.myhuaweicloud.com',
      `x-project-id:${PROJECT}`,
      'x-sdk-date:20240102T030405Z',
      '',
      SIGNED,
      'eeac8ba0610810fc1693d39332748c4e74e4e30b12e19b5e381befc5167b81e2',
    ].join('\n'),
  );
  assert.equal(
    signed.headers.authorization,
    authorization('e1ce132d1156fd642ebe446bda3e8c777194c3ee94b7f2c5335482c4c8f63174'),
  );
  assert.equal(signed.headers['x-sdk-date'], '20240102T030405Z');
  assert.equal(signed.headers.host, 'kms.cn-north-4.myhuaweicloud.com');
});

test('V2: APIG delete-certificate without a body signs Content-Type all the same', () => {
  const signed = signRequest(
    {
      method: 'DELETE',
      host: 'apig.cn-north-4.myhuaweicloud.com',
      path: `/v2/${PROJECT}/apigw/certificates/a27be832f2e9441c8127fe48e3b5ac67`,
      headers: HEADERS,
      time: TIME,
    },
    KEY,
  );
  assert.ok(signed.canonicalRequest.endsWith(`\n${EMPTY_BODY_SHA256}`));
  assert.equal(
    signed.headers.authorization,
    authorization('3060d18ad05605579d854b7fa0c46284bcb17dbee5d956965afb4abd799b92a2'),
  );
});

test('V3: ModelArts delete-authorizations signs its query line', () => {
  const signed = signRequest(
    {
      method: 'DELETE',
      host: 'modelarts.cn-north-4.myhuaweicloud.com',
      path: `/v2/${PROJECT}/authorizations`,
      query: { user_id: 'd80fb058844ae8b82aa66d9fe0f2e6a1' },
      headers: HEADERS,
      time: TIME,
    },
    KEY,
  );
  assert.equal(signed.canonicalRequest.split('\n')[2], 'user_id=d80fb058844ae8b82aa66d9fe0f2e6a1');
  assert.equal(
    signed.headers.authorization,
    authorization('f1561fee497835e681b1b583fce81ae85d0cf451f1233c965bbb3371a66f29d1'),
  );
});

test('a temporary key adds X-Security-Token to the signed headers and changes the signature', () => {
  const plain = signRequest(V1, KEY);
  const temporary = signRequest(V1, { ...KEY, securityToken: 'security-token-example' });
  assert.equal(temporary.headers['x-security-token'], 'security-token-example');
  assert.match(
    temporary.headers.authorization ?? '',
    /SignedHeaders=content-type;host;x-project-id;x-sdk-date;x-security-token,/,
  );
  assert.notEqual(temporary.headers.authorization, plain.headers.authorization);
});

test('the parts: date format, path and query encoding, sorted names and values', () => {
  assert.equal(formatSdkDate(Date.parse('1999-12-31T23:59:59.999Z')), '19991231T235959Z');
  assert.equal(canonicalPath('/a b/ü/x~y.z/'), '/a%20b/%C3%BC/x~y.z/');
  assert.equal(canonicalPath("/v1/(it's)*!"), '/v1/%28it%27s%29%2A%21/');
  assert.equal(
    canonicalQuery({ b: ['2', '1'], a: 'x y', A: '~', 'c&d': '=' }),
    'A=~&a=x%20y&b=1&b=2&c%26d=%3D',
  );
  assert.equal(canonicalQuery(undefined), '');
});
