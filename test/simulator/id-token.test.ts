// IAM's ID-token exchange in the simulator: an ID token of the trusted issuer, signed with its
// key, unexpired and for the right audience, gets a scoped token; anything else does not.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDevIssuer, type DevIssuer } from '../../src/demo/dev-issuer.ts';
import { DEMO_ACCOUNT, startSimulator, type Simulator } from '../../src/simulator/index.ts';
import { PROJECT_ID } from './sim-client.ts';

const ISSUER = 'https://oidc.cluster.test.invalid';
const AUDIENCE = 'sts.test';

describe('POST /v3.0/OS-AUTH/id-token/tokens', { concurrency: 1 }, () => {
  let sim: Simulator;
  let issuer: DevIssuer;
  let stranger: DevIssuer;
  before(async () => {
    issuer = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE, algorithm: 'RS256' });
    stranger = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE, algorithm: 'ES256' });
    sim = await startSimulator({
      credentials: {
        identityProviders: [
          {
            id: 'idp-1',
            domain: DEMO_ACCOUNT.domain,
            issuer: ISSUER,
            audience: AUDIENCE,
            keys: issuer.jwks.keys,
          },
        ],
      },
    });
  });
  after(() => sim.close());

  const exchange = async (
    idToken: string,
    idp = 'idp-1',
    scope: object = { project: { id: PROJECT_ID } },
  ) => {
    const response = await fetch(`${sim.url}/v3.0/OS-AUTH/id-token/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Idp-Id': idp },
      body: JSON.stringify({ auth: { id_token: { id: idToken }, scope } }),
    });
    return { status: response.status, token: response.headers.get('x-subject-token') };
  };
  const sub = { sub: 'system:serviceaccount:ns:rescind' };

  it('issues a project- or domain-scoped token for a valid ID token', async () => {
    const good = await exchange(await issuer.sign(sub));
    assert.equal(good.status, 201);
    assert.ok((good.token ?? '').length > 100);
    const domain = await exchange(await issuer.sign(sub), 'idp-1', {
      domain: { id: DEMO_ACCOUNT.domainId },
    });
    assert.equal(domain.status, 201);
  });

  it('refuses an unknown provider (404), a foreign key, an expired token, another audience (401)', async () => {
    assert.equal((await exchange(await issuer.sign(sub), 'idp-2')).status, 404);
    assert.equal((await exchange(await stranger.sign(sub))).status, 401);
    assert.equal((await exchange(await issuer.sign(sub, { expiresIn: -5 }))).status, 401);
    assert.equal((await exchange(await issuer.sign({ ...sub, aud: 'other' }))).status, 401);
    assert.equal((await exchange('not.a.jwt')).status, 401);
  });
});
