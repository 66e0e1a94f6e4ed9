import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DEMO_ACCOUNT,
  DEMO_AGENCY,
  DEMO_PROJECTS,
  startSimulator,
} from '../../src/simulator/index.ts';
import type { Simulator } from '../../src/simulator/index.ts';
import {
  assumeRoleAuth,
  domainScope,
  jsonOf,
  OTHER_PROJECT_ID,
  passwordAuth,
  postTokens,
  PROJECT_ID,
  projectScope,
  token,
} from './sim-client.ts';
import { withSimulator } from './support.ts';

const KEYSTONE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

interface TokenBody {
  token: {
    expires_at: string;
    issued_at: string;
    methods: string[];
    user: { id: string; name: string; domain: { id: string; name: string } };
    project?: { id: string; name: string; domain: { id: string; name: string } };
    domain?: { id: string; name: string };
    assumed_by?: { user: { name: string } };
    roles: unknown[];
    catalog?: { type: string; endpoints: { url: string }[] }[];
  };
}

describe('IAM password tokens', () => {
  let sim: Simulator;
  let now = Date.UTC(2020, 0, 3, 9, 5, 22, 701);
  before(async () => {
    sim = await startSimulator({ clock: () => now });
  });
  after(() => sim.close());

  test('answers 201 with a ~9 KB MII token in X-Subject-Token and a project-scoped body', async () => {
    const res = await postTokens(sim, passwordAuth(projectScope()));
    assert.equal(res.status, 201);
    const subject = res.headers.get('x-subject-token') ?? '';
    assert.ok(subject.startsWith('MII'), 'token starts with MII');
    assert.equal(subject.length, 9000);
    assert.match(subject, /^[A-Za-z0-9_-]+$/);
    assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/);
    const body = (await jsonOf(res)) as TokenBody;
    assert.deepEqual(body.token.methods, ['password']);
    assert.equal(body.token.user.name, DEMO_ACCOUNT.user);
    assert.deepEqual(body.token.user.domain, {
      id: DEMO_ACCOUNT.domainId,
      name: DEMO_ACCOUNT.domain,
    });
    assert.equal(body.token.project?.id, PROJECT_ID);
    assert.equal(body.token.project.name, 'cn-north-4');
    assert.equal(body.token.domain, undefined);
    assert.equal(body.token.catalog, undefined, 'nocatalog=true leaves the catalog out');
  });

  test('sets expires_at to issue time plus the lifetime, in UTC with six fractional digits', async () => {
    now = Date.UTC(2020, 0, 3, 9, 5, 22, 701);
    const body = (await jsonOf(await postTokens(sim, passwordAuth(projectScope())))) as TokenBody;
    assert.match(body.token.expires_at, KEYSTONE_TIME);
    assert.equal(body.token.issued_at, '2020-01-03T09:05:22.701000Z');
    assert.equal(body.token.expires_at, '2020-01-04T09:05:22.701000Z');
  });

  test('includes a catalog pointing at the simulator when nocatalog is absent', async () => {
    const body = (await jsonOf(
      await postTokens(sim, passwordAuth(projectScope()), {}, ''),
    )) as TokenBody;
    const kms = body.token.catalog?.find((entry) => entry.type === 'kms');
    assert.equal(kms?.endpoints[0]?.url, sim.url);
  });

  test('scopes to a project by region name', async () => {
    const res = await postTokens(sim, passwordAuth({ project: { name: 'eu-west-101' } }));
    assert.equal(res.status, 201);
    assert.equal(((await jsonOf(res)) as TokenBody).token.project?.id, OTHER_PROJECT_ID);
  });

  test('issues a domain-scoped token by domain name or id, with no project', async () => {
    for (const scope of [domainScope(), { domain: { id: DEMO_ACCOUNT.domainId } }]) {
      const res = await postTokens(sim, passwordAuth(scope));
      assert.equal(res.status, 201);
      const body = (await jsonOf(res)) as TokenBody;
      assert.deepEqual(body.token.domain, { id: DEMO_ACCOUNT.domainId, name: DEMO_ACCOUNT.domain });
      assert.equal(body.token.project, undefined);
    }
  });

  test('answers 401 Keystone-style for a wrong password', async () => {
    const res = await postTokens(
      sim,
      passwordAuth(projectScope(), { ...DEMO_ACCOUNT, password: 'wrong' }),
    );
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('x-subject-token'), null);
    assert.deepEqual(await jsonOf(res), {
      error: { code: 401, message: 'The username or password is wrong.', title: 'Unauthorized' },
    });
  });

  test('answers 401 for an unknown user and for another domain name', async () => {
    for (const account of [
      { ...DEMO_ACCOUNT, user: 'nobody' },
      { ...DEMO_ACCOUNT, domain: 'other-domain' },
    ]) {
      const res = await postTokens(sim, passwordAuth(projectScope(), account));
      assert.equal(res.status, 401);
    }
  });

  test('answers 401 for an unknown project and for another account domain scope', async () => {
    const unknownProject = await postTokens(
      sim,
      passwordAuth(projectScope('ffffffffffffffffffffffffffffffff')),
    );
    assert.equal(unknownProject.status, 401);
    assert.equal(((await jsonOf(unknownProject)) as { error: { code: number } }).error.code, 401);
    const foreignDomain = await postTokens(sim, passwordAuth(domainScope('someone-else')));
    assert.equal(foreignDomain.status, 401);
  });

  test('answers 400 Keystone-style for malformed bodies', async () => {
    const valid = JSON.parse(passwordAuth(projectScope())) as { auth: { identity: unknown } };
    const bodies = [
      'not json',
      '{}',
      JSON.stringify({ auth: { identity: { methods: ['password'] }, scope: projectScope() } }),
      JSON.stringify({
        auth: { identity: { methods: ['password', 'token'] }, scope: projectScope() },
      }),
      JSON.stringify({ auth: { identity: { methods: ['totp'] }, scope: projectScope() } }),
      // Huawei's IAM requires a scope.
      JSON.stringify({ auth: { identity: valid.auth.identity } }),
      JSON.stringify({
        auth: { identity: valid.auth.identity, scope: { ...projectScope(), ...domainScope() } },
      }),
    ];
    for (const body of bodies) {
      const res = await postTokens(sim, body);
      assert.equal(res.status, 400, body);
      const parsed = (await jsonOf(res)) as { error: { code: number; title: string } };
      assert.equal(parsed.error.code, 400);
      assert.equal(parsed.error.title, 'Bad Request');
    }
  });

  test('answers 405 with Allow: POST for another method on the token path', async () => {
    const res = await fetch(`${sim.url}/v3/auth/tokens`, { method: 'PUT' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'POST');
    assert.equal(((await jsonOf(res)) as { error: { code: number } }).error.code, 405);
  });

  test('counts issued tokens', async () => {
    const before = sim.issuedTokens();
    await token(sim);
    await postTokens(sim, passwordAuth(projectScope(), { ...DEMO_ACCOUNT, password: 'wrong' }));
    assert.equal(sim.issuedTokens(), before + 1);
  });
});

describe('IAM assume_role (the two-step agency exchange)', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator();
  });
  after(() => sim.close());

  test('issues an agency token when the caller presents its own valid token', async () => {
    const own = await token(sim, domainScope());
    const res = await postTokens(sim, assumeRoleAuth(projectScope()), { 'X-Auth-Token': own });
    assert.equal(res.status, 201);
    const agencyToken = res.headers.get('x-subject-token') ?? '';
    assert.ok(agencyToken.startsWith('MII'));
    assert.notEqual(agencyToken, own);
    const body = (await jsonOf(res)) as TokenBody;
    assert.deepEqual(body.token.methods, ['assume_role']);
    assert.equal(body.token.user.name, `${DEMO_AGENCY.domain}/${DEMO_AGENCY.name}`);
    assert.equal(body.token.user.domain.name, DEMO_AGENCY.domain);
    assert.equal(body.token.assumed_by?.user.name, DEMO_ACCOUNT.user);
    assert.equal(body.token.project?.id, PROJECT_ID);
    assert.equal(body.token.project.domain.name, DEMO_AGENCY.domain);
  });

  test('accepts domain_id for the agency domain and a domain scope of the agency domain', async () => {
    const own = await token(sim);
    const first = (await jsonOf(
      await postTokens(sim, assumeRoleAuth(projectScope()), { 'X-Auth-Token': own }),
    )) as TokenBody;
    const agencyDomainId = first.token.user.domain.id;
    const body = JSON.stringify({
      auth: {
        identity: {
          methods: ['assume_role'],
          assume_role: { domain_id: agencyDomainId, agency_name: DEMO_AGENCY.name },
        },
        scope: { domain: { name: DEMO_AGENCY.domain } },
      },
    });
    const res = await postTokens(sim, body, { 'X-Auth-Token': own });
    assert.equal(res.status, 201);
    assert.deepEqual(((await jsonOf(res)) as TokenBody).token.domain, {
      id: agencyDomainId,
      name: DEMO_AGENCY.domain,
    });
  });

  test('answers 401 without an own token, with an unknown one, and with a revoked one', async () => {
    const none = await postTokens(sim, assumeRoleAuth(projectScope()));
    assert.equal(none.status, 401);
    assert.equal(
      ((await jsonOf(none)) as { error: { title: string } }).error.title,
      'Unauthorized',
    );
    const bogus = await postTokens(sim, assumeRoleAuth(projectScope()), {
      'X-Auth-Token': `MII${'A'.repeat(100)}`,
    });
    assert.equal(bogus.status, 401);
    const own = await token(sim);
    sim.revokeAllTokens();
    const revoked = await postTokens(sim, assumeRoleAuth(projectScope()), { 'X-Auth-Token': own });
    assert.equal(revoked.status, 401);
  });

  test('answers 403 Keystone-style when the caller account is not trusted by the agency', async () => {
    const outsider = {
      domain: 'outsider',
      domainId: 'a'.repeat(32),
      user: 'svc',
      userId: 'b'.repeat(32),
      password: 'pw',
    };
    const strict = await startSimulator({ accounts: [DEMO_ACCOUNT, outsider] });
    try {
      const outsiderToken = await postTokens(
        strict,
        passwordAuth(domainScope('outsider'), outsider),
      );
      assert.equal(outsiderToken.status, 201);
      const own = outsiderToken.headers.get('x-subject-token') ?? '';
      const res = await postTokens(strict, assumeRoleAuth(projectScope()), { 'X-Auth-Token': own });
      assert.equal(res.status, 403);
      assert.deepEqual(
        ((await jsonOf(res)) as { error: { code: number; title: string } }).error.code,
        403,
      );
      const unknownAgency = await postTokens(
        strict,
        assumeRoleAuth(projectScope(), { agency_name: 'no-such-agency' }),
        { 'X-Auth-Token': await token(strict) },
      );
      assert.equal(unknownAgency.status, 403);
    } finally {
      await strict.close();
    }
  });

  test('answers 400 for an assume_role body without agency_name or with a bad duration_seconds', async () => {
    const own = await token(sim);
    const missing = await postTokens(
      sim,
      assumeRoleAuth(projectScope(), { agency_name: undefined }),
      { 'X-Auth-Token': own },
    );
    assert.equal(missing.status, 400);
    const short = await postTokens(sim, assumeRoleAuth(projectScope(), { duration_seconds: 60 }), {
      'X-Auth-Token': own,
    });
    assert.equal(short.status, 400);
  });

  test('caps the agency token lifetime at duration_seconds', async () => {
    const now = Date.UTC(2024, 5, 1);
    const clocked = await startSimulator({ clock: () => now });
    try {
      const own = await token(clocked);
      const res = await postTokens(
        clocked,
        assumeRoleAuth(projectScope(), { duration_seconds: 3600 }),
        { 'X-Auth-Token': own },
      );
      const body = (await jsonOf(res)) as TokenBody;
      assert.equal(body.token.expires_at, '2024-06-01T01:00:00.000000Z');
    } finally {
      await clocked.close();
    }
  });
});

describe('IAM with custom projects', () => {
  test('issues tokens only for the configured projects', async () => {
    const project = { id: 'abcdefabcdefabcdefabcdefabcdef12', name: 'ap-southeast-1' };
    await withSimulator({ projects: [project], seed: 'none' }, async (sim) => {
      assert.equal((await postTokens(sim, passwordAuth(projectScope(project.id)))).status, 201);
      assert.equal(
        (await postTokens(sim, passwordAuth(projectScope(DEMO_PROJECTS[0]!.id)))).status,
        401,
      );
    });
  });
});
