// Property test: random requests signed by the gateway's signer and by the official Node SDK's
// signer (@huaweicloud/huaweicloud-sdk-core, a devDependency) give identical Authorization
// headers. The generator is seeded, so a failure names a case that can be replayed.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { formatSdkDate, signRequest } from '../../../src/credentials/sign-request.ts';
import { createRandom, type Random } from '../../helpers/seeded-random.ts';

interface SdkRequest {
  method: string;
  endpoint: string;
  headers: Record<string, string>;
  queryParams?: Record<string, string | string[]>;
  data?: unknown;
}
interface SdkCredential {
  getAk(): string;
  getSk(): string;
}
interface SdkSigner {
  sign(request: SdkRequest, credential: SdkCredential): Record<string, string>;
}
interface SdkCore {
  BasicCredentials: new () => {
    withAk(ak: string): SdkCredential & { withSk(sk: string): SdkCredential };
  };
}

const require = createRequire(import.meta.url);
const core = require('@huaweicloud/huaweicloud-sdk-core') as SdkCore;
const { AKSKSigner } = require('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner') as {
  AKSKSigner: SdkSigner;
};

const CASES = 400;
const SEED = Number(process.env.RESCIND_PROPERTY_SEED ?? 20240102);

const UNRESERVED = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~';
// Characters a path may hold that the SDK's URL parser passes through unchanged.
const PATH_EXTRA = '!$&()*+,;=:@ü中é';
const ANY_TEXT = `${UNRESERVED}${PATH_EXTRA} "#%'/<>?[]\\^\`{|}€😀`;
const HEADER_NAME_HEAD = 'abcdefghijklmnopqrstuvwxyz';
const HEADER_NAME_TAIL = `${HEADER_NAME_HEAD}0123456789-`;
const HEADER_VALUE = `${UNRESERVED} !"#$%&'()*+,/:;<=>?@[]^_{|}`;
const RESERVED_HEADERS = new Set(['host', 'x-sdk-date', 'x-security-token', 'authorization']);

interface Case {
  method: string;
  host: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  data: Record<string, unknown> | undefined;
  time: number;
  ak: string;
  sk: string;
  securityToken: string | undefined;
}

function randomCase(random: Random): Case {
  const segments = random.array(0, 6, () => random.text(PATH_EXTRA + UNRESERVED, 0, 12));
  const query: Record<string, string | string[]> = {};
  for (const name of random.array(0, 4, () => random.text(ANY_TEXT, 1, 8))) {
    query[name] = random.chance(0.25)
      ? random.array(1, 3, () => random.text(ANY_TEXT, 0, 10))
      : random.text(ANY_TEXT, 0, 16);
  }
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (let count = random.int(0, 4); count > 0; count -= 1) {
    const name = random.pick<string>(HEADER_NAME_HEAD) + random.text(HEADER_NAME_TAIL, 0, 14);
    // One header per name, whatever its case: HTTP has no two headers differing in case only.
    if (RESERVED_HEADERS.has(name) || Object.keys(headers).some((n) => n.toLowerCase() === name))
      continue;
    headers[random.chance(0.5) ? name.toUpperCase() : name] = random.text(HEADER_VALUE, 1, 40);
  }
  headers[random.chance(0.5) ? 'X-Project-Id' : 'X-Domain-Id'] = random.hex(32);
  const data = random.chance(0.4)
    ? Object.fromEntries(
        random.array(0, 4, () => [random.text(ANY_TEXT, 1, 8), random.text(ANY_TEXT, 0, 30)]),
      )
    : undefined;
  return {
    method: random.pick(['GET', 'POST', 'DELETE', 'PUT', 'PATCH']),
    host: `${random.text(HEADER_NAME_HEAD, 1, 10)}.example.com${random.chance(0.3) ? `:${String(random.int(1, 65535))}` : ''}`,
    path: `/${segments.join('/')}${random.chance(0.2) ? '/' : ''}`,
    query,
    headers,
    data,
    // Whole seconds: X-Sdk-Date has no fraction, and the SDK takes the date from it.
    time: random.int(0, 4_000_000_000) * 1000,
    ak: random.text(UNRESERVED.slice(26, 62), 20, 20),
    sk: random.text(ANY_TEXT, 1, 40),
    securityToken: random.chance(0.3) ? random.text(HEADER_VALUE, 20, 200) : undefined,
  };
}

function sdkAuthorization(c: Case): string {
  const credential = new core.BasicCredentials().withAk(c.ak).withSk(c.sk);
  const headers: Record<string, string> = { ...c.headers, 'X-Sdk-Date': formatSdkDate(c.time) };
  // What the SDK's credentials add before signing a call with a temporary key.
  if (c.securityToken !== undefined) headers['X-Security-Token'] = c.securityToken;
  const signed = AKSKSigner.sign(
    {
      method: c.method,
      endpoint: `https://${c.host}${c.path}`,
      headers,
      queryParams: structuredClone(c.query),
      ...(c.data === undefined ? {} : { data: c.data }),
    },
    credential,
  );
  return signed.Authorization ?? '';
}

function ourAuthorization(c: Case): string {
  const signed = signRequest(
    {
      method: c.method,
      host: c.host,
      path: c.path,
      query: c.query,
      headers: c.headers,
      ...(c.data === undefined ? {} : { body: Buffer.from(JSON.stringify(c.data)) }),
      time: c.time,
    },
    {
      accessKey: c.ak,
      secretKey: c.sk,
      ...(c.securityToken === undefined ? {} : { securityToken: c.securityToken }),
    },
  );
  return signed.headers.authorization ?? '';
}

test(`${String(CASES)} random requests get the SDK's Authorization header (seed ${String(SEED)})`, () => {
  const random = createRandom(SEED);
  let withQuery = 0;
  let withBody = 0;
  let temporary = 0;
  for (let index = 0; index < CASES; index += 1) {
    const c = randomCase(random);
    if (Object.keys(c.query).length > 0) withQuery += 1;
    if (c.data !== undefined) withBody += 1;
    if (c.securityToken !== undefined) temporary += 1;
    const expected = sdkAuthorization(c);
    assert.match(expected, /^SDK-HMAC-SHA256 Access=/);
    assert.equal(ourAuthorization(c), expected, `case ${String(index)}: ${JSON.stringify(c)}`);
  }
  // The generator really varies what matters.
  assert.ok(withQuery > CASES / 4 && withBody > CASES / 5 && temporary > CASES / 8);
});
