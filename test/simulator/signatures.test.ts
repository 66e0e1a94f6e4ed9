// The simulator's signature check (verify-signature.ts), independent of the gateway's signer:
// it accepts the reference vectors and calls signed by the official Node SDK's signer, and
// answers a bad, unknown, expired or mismatched signature as Huawei's API gateway does (401).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { DEMO_ACCOUNT, startSimulator, type Simulator } from '../../src/simulator/index.ts';
import { SimCredentials } from '../../src/simulator/sim-credentials.ts';
import { verifySignature } from '../../src/simulator/verify-signature.ts';
import { GRANT_ID, KEY_ID, PROJECT_ID } from './sim-client.ts';

const AK = 'AKTESTEXAMPLE0000000';
const SK = 'sk-test-example-secret';
const V1_BODY =
  '{"key_id":"0d0466b0-e727-4d9c-b35d-f84bb474a37f","grant_id":"7c9a3286af4fcca5f0a385ad13e1d21a50e27b6dbcab50f37f30f93b8939827d","sequence":"919c82d4-8046-4722-9094-35c3c6524cff"}';
const SIGNED = 'content-type;host;x-project-id;x-sdk-date';
const VECTOR_TIME = Date.parse('2024-01-02T03:04:05Z');

const keys = new SimCredentials(
  {
    accessKeys: [{ access: AK, secret: SK, domain: DEMO_ACCOUNT.domain }],
    identityProviders: [],
    sessionTokens: true,
    keyLifetimeSeconds: 60,
    metadataDomain: undefined,
  },
  [DEMO_ACCOUNT],
);

function vector(host: string, signature: string) {
  return {
    'content-type': 'application/json',
    host,
    'x-project-id': '0123456789abcdef0123456789abcdef',
    'x-sdk-date': '20240102T030405Z',
    authorization: `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=${SIGNED}, Signature=${signature}`,
  };
}

describe('the simulator verifier and the reference vectors', () => {
  const v1 = {
    method: 'POST',
    rawPath: '/v1.0/0123456789abcdef0123456789abcdef/kms/revoke-grant',
    rawQuery: '',
    headers: vector(
      'kms.cn-north-4.myhuaweicloud.com',
      'e1ce132d1156fd642ebe446bda3e8c777194c3ee94b7f2c5335482c4c8f63174',
    ),
    body: V1_BODY,
  };

  it('accepts V1, V2 and V3 as the SDK signed them', () => {
    assert.equal(verifySignature(v1, keys, VECTOR_TIME).verified, true);
    const v2 = {
      method: 'DELETE',
      rawPath:
        '/v2/0123456789abcdef0123456789abcdef/apigw/certificates/a27be832f2e9441c8127fe48e3b5ac67',
      rawQuery: '',
      headers: vector(
        'apig.cn-north-4.myhuaweicloud.com',
        '3060d18ad05605579d854b7fa0c46284bcb17dbee5d956965afb4abd799b92a2',
      ),
      body: '',
    };
    assert.equal(verifySignature(v2, keys, VECTOR_TIME).verified, true);
    const v3 = {
      method: 'DELETE',
      rawPath: '/v2/0123456789abcdef0123456789abcdef/authorizations',
      rawQuery: 'user_id=d80fb058844ae8b82aa66d9fe0f2e6a1',
      headers: vector(
        'modelarts.cn-north-4.myhuaweicloud.com',
        'f1561fee497835e681b1b583fce81ae85d0cf451f1233c965bbb3371a66f29d1',
      ),
      body: '',
    };
    assert.equal(verifySignature(v3, keys, VECTOR_TIME).verified, true);
  });

  it('refuses any change to what was signed, a stale date and an unknown key', () => {
    const refused = (change: Partial<typeof v1>, now = VECTOR_TIME) =>
      verifySignature({ ...v1, ...change }, keys, now).reason;
    assert.equal(refused({ body: V1_BODY.replace('919c', '919d') }), 'verify aksk signature fail');
    assert.equal(refused({ rawPath: `${v1.rawPath}x` }), 'verify aksk signature fail');
    assert.equal(refused({ rawQuery: 'a=b' }), 'verify aksk signature fail');
    assert.equal(refused({ method: 'DELETE' }), 'verify aksk signature fail');
    assert.equal(
      refused({ headers: { ...v1.headers, 'x-project-id': 'fedcba9876543210fedcba9876543210' } }),
      'verify aksk signature fail',
    );
    assert.equal(
      refused({}, VECTOR_TIME + 16 * 60_000),
      'X-Sdk-Date is missing or too far from now',
    );
    assert.equal(
      refused({
        headers: { ...v1.headers, authorization: v1.headers.authorization.replace(AK, 'AKNOPE') },
      }),
      'ak AKNOPE not exist',
    );
  });
});

interface SdkSigner {
  sign(
    request: {
      method: string;
      endpoint: string;
      headers: Record<string, string>;
      queryParams?: Record<string, string>;
      data?: unknown;
    },
    credential: { getAk(): string; getSk(): string },
  ): Record<string, string>;
}
const { AKSKSigner } = createRequire(import.meta.url)(
  '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner',
) as { AKSKSigner: SdkSigner };

describe('signed calls over HTTP', { concurrency: 1 }, () => {
  let sim: Simulator;
  let now = Date.now();
  before(async () => {
    sim = await startSimulator({
      clock: () => now,
      credentials: {
        accessKeys: [{ access: AK, secret: SK, domain: DEMO_ACCOUNT.domain }],
        metadata: { keyLifetimeSeconds: 600 },
      },
    });
  });
  after(() => sim.close());

  /** A KMS revoke-grant signed by the official SDK's signer, optionally with a temporary key. */
  async function sdkSignedKms(
    key: { ak: string; sk: string; securityToken?: string },
    options: { projectHeader?: string; body?: string } = {},
  ) {
    const grant = String(Math.floor(Math.random() * 1e9)).padStart(12, '0');
    const grantId = `${GRANT_ID.slice(0, 52)}${grant}`;
    sim.addKmsGrant(PROJECT_ID, KEY_ID, grantId);
    const data = { key_id: KEY_ID, grant_id: grantId };
    const url = new URL(`${sim.url}/v1.0/${PROJECT_ID}/kms/revoke-grant`);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'X-Project-Id': options.projectHeader ?? PROJECT_ID,
    };
    if (key.securityToken !== undefined) headers['X-Security-Token'] = key.securityToken;
    const signed = AKSKSigner.sign(
      { method: 'POST', endpoint: url.href, headers, data },
      { getAk: () => key.ak, getSk: () => key.sk },
    );
    const response = await fetch(url, {
      method: 'POST',
      headers: signed,
      body: options.body ?? JSON.stringify(data),
    });
    const text = await response.text();
    return { status: response.status, text, grantId, call: sim.calls().at(-1) };
  }

  it('accepts a call the official SDK signed, and records the verified signature', async () => {
    const answer = await sdkSignedKms({ ak: AK, sk: SK });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.call?.signature?.verified, true);
    assert.equal(answer.call.signature.keyKind, 'permanent');
    assert.equal(sim.has('kmsGrant', PROJECT_ID, KEY_ID, answer.grantId), false);
  });

  it('answers a wrong secret key 401 APIGW.0301 and leaves the resource', async () => {
    const answer = await sdkSignedKms({ ak: AK, sk: 'not-the-key' });
    assert.equal(answer.status, 401);
    assert.equal((JSON.parse(answer.text) as { error_code: string }).error_code, 'APIGW.0301');
    assert.equal(sim.has('kmsGrant', PROJECT_ID, KEY_ID, answer.grantId), true);
  });

  it('answers a body changed after signing 401', async () => {
    const answer = await sdkSignedKms({ ak: AK, sk: SK }, { body: '{"key_id":"x"}' });
    assert.equal(answer.status, 401);
    assert.equal(answer.call?.signature?.reason, 'verify aksk signature fail');
  });

  it('answers a signed X-Project-Id of another project 403', async () => {
    const answer = await sdkSignedKms(
      { ak: AK, sk: SK },
      { projectHeader: 'fedcba9876543210fedcba9876543210' },
    );
    assert.equal(answer.status, 403);
  });

  it('takes a temporary key only with its own security token, and only until it expires', async () => {
    const session = await (
      await fetch(`${sim.url}/meta-data/latest/api/token`, {
        method: 'PUT',
        headers: { 'X-Metadata-Token-Ttl-Seconds': '21600' },
      })
    ).text();
    const answer = await fetch(`${sim.url}/openstack/latest/securitykey`, {
      headers: { 'X-Metadata-Token': session },
    });
    assert.equal(answer.status, 200);
    const { credential } = (await answer.json()) as {
      credential: { access: string; secret: string; securitytoken: string; expires_at: string };
    };
    assert.match(credential.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const key = { ak: credential.access, sk: credential.secret };

    const good = await sdkSignedKms({ ...key, securityToken: credential.securitytoken });
    assert.equal(good.status, 200, good.text);
    assert.equal(good.call?.signature?.keyKind, 'temporary');
    const without = await sdkSignedKms(key);
    assert.equal(without.status, 401);
    assert.equal(without.call?.signature?.reason, 'x-security-token not signed');
    const other = await sdkSignedKms({ ...key, securityToken: 'gQforged' });
    assert.equal(other.call?.signature?.reason, 'security token does not match the key');

    now += 601_000;
    const expired = await sdkSignedKms({ ...key, securityToken: credential.securitytoken });
    assert.equal(expired.status, 401);
    assert.equal((JSON.parse(expired.text) as { error_code: string }).error_code, 'APIGW.0307');
  });

  it('the metadata service wants a session token and hands out a new key after rotation', async () => {
    assert.equal((await fetch(`${sim.url}/openstack/latest/securitykey`)).status, 401);
    const session = await (
      await fetch(`${sim.url}/meta-data/latest/api/token`, {
        method: 'PUT',
        headers: { 'X-Metadata-Token-Ttl-Seconds': '60' },
      })
    ).text();
    const get = async () =>
      (
        (await (
          await fetch(`${sim.url}/openstack/latest/securitykey`, {
            headers: { 'X-Metadata-Token': session },
          })
        ).json()) as { credential: { access: string } }
      ).credential.access;
    const first = await get();
    assert.equal(await get(), first);
    sim.rotateMetadataKey();
    assert.notEqual(await get(), first);
  });
});
