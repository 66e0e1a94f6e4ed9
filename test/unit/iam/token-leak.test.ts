// Passwords and tokens never reach a log line, a problem or a metric (docs/api.md "Cloud credentials"). A canary
// password and every token IAM issued are searched for in all of them after a mix of
// successes and failures; in oidc mode, every ID token the platform wrote as well.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TokenScope } from '../../../src/iam/token-provider.ts';
import { createDevIssuer } from '../../../src/demo/dev-issuer.ts';
import {
  DEMO_ACCOUNT,
  DEMO_AGENCY,
  DEMO_PROJECTS,
  type Simulator,
} from '../../../src/simulator/index.ts';
import { requestOptions, startProvider, type ProviderFixture } from './provider-fixture.ts';

const CANARY = 'canary-PW-7f3a9c21e5d0';
const WRONG_CANARY = 'canary-WRONG-b81d4c0a';
const PROJECT: TokenScope = { kind: 'project', projectId: DEMO_PROJECTS[0]?.id ?? '' };
const DOMAIN: TokenScope = { kind: 'domain' };
const OIDC_ISSUER = 'https://oidc.cluster.test.invalid';

/** Everything a thrown error shows: its JSON, message, stack and cause, for every error. */
function errorsText(errors: readonly unknown[]): string {
  return errors
    .map((error) => {
      assert.ok(error instanceof Error);
      return [JSON.stringify(error), error.message, error.stack, String(error.cause)].join('\n');
    })
    .join('\n');
}

test('no password or token reaches the log, a thrown problem or a metric', async (t) => {
  const sim = { accounts: [{ ...DEMO_ACCOUNT, password: CANARY }] };
  const password = await startProvider(t, { sim, iam: { password: CANARY } });
  const agency = await startProvider(t, {
    sim,
    iam: {
      password: CANARY,
      agency: DEMO_AGENCY.name,
      agencyDomain: DEMO_AGENCY.domain,
      exchangeTimeoutMs: 150,
    },
  });
  const wrong = await startProvider(t, { sim, iam: { password: WRONG_CANARY } });
  const fixtures = [password, agency, wrong];
  const errors: unknown[] = [];
  const tokens = new Set<string>();

  const attempt = async (fixture: ProviderFixture, scope: TokenScope, deadlineMs = 15_000) => {
    try {
      const token = await fixture.provider.getToken(scope, requestOptions(deadlineMs));
      tokens.add(token.value);
      return token.value;
    } catch (error) {
      errors.push(error);
      return undefined;
    }
  };
  const inject = (target: Simulator, body: object) => {
    target.injectFault({ service: 'iam', kind: 'status', status: 400, body });
  };

  // Successes, a cache hit and an invalidate.
  const first = await attempt(password, PROJECT);
  await attempt(password, PROJECT);
  await attempt(password, DOMAIN);
  if (first !== undefined) password.provider.invalidate(PROJECT, first);
  const second = await attempt(password, PROJECT);

  // IAM quoting the password back, in each envelope, and every kind of failure.
  if (second !== undefined) password.provider.invalidate(PROJECT, second);
  inject(password.sim, { error: { code: 400, message: `bad password '${CANARY}'`, title: 'x' } });
  await attempt(password, PROJECT);
  password.sim.injectFault({
    service: 'iam',
    kind: 'status',
    status: 500,
    body: { error_code: 'IAM.9999', error_msg: `failed for ${CANARY}`, request_id: CANARY },
    headers: { 'X-Request-Id': CANARY },
  });
  await attempt(password, { kind: 'project', projectId: DEMO_PROJECTS[1]?.id ?? '' });
  password.sim.injectFault({ service: 'iam', kind: 'throttle' });
  await attempt(password, { kind: 'project', projectId: DEMO_PROJECTS[1]?.id ?? '' });
  password.sim.injectFault({ service: 'iam', kind: 'reset' });
  await attempt(password, { kind: 'project', projectId: DEMO_PROJECTS[1]?.id ?? '' });
  await attempt(wrong, PROJECT);
  inject(wrong.sim, { error: { error_code: WRONG_CANARY, error_msg: `'${WRONG_CANARY}'` } });
  await attempt(wrong, DOMAIN);

  // The agency path: own token and assume_role, an IAM answer quoting the own token, a hang.
  await attempt(agency, PROJECT);
  const ownToken = agency.sim.calls({ service: 'iam' }).find((call) => call.token)?.token;
  assert.ok(ownToken, 'the assume_role call carried the own token');
  tokens.add(ownToken);
  agency.sim.injectFault({
    service: 'iam',
    kind: 'status',
    status: 401,
    body: { error: { code: 401, message: `token ${ownToken} refused`, title: 'Unauthorized' } },
  });
  // Answered by dropping the cached own token and exchanging again: a logged failure, no throw.
  assert.ok(await attempt(agency, DOMAIN));
  agency.sim.injectFault({ service: 'iam', kind: 'hang' });
  await attempt(agency, { kind: 'project', projectId: DEMO_PROJECTS[1]?.id ?? '' });
  // The own token is fresh again; a caller that cannot wait for the slow assume_role gives up.
  agency.sim.injectFault({ service: 'iam', kind: 'delay', delayMs: 100 });
  await attempt(agency, { kind: 'project', projectId: DEMO_PROJECTS[1]?.id ?? '' }, 20);

  // A port nothing listens on.
  const server = createServer();
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  const refused = await startProvider(t, {
    iam: { password: CANARY, endpoint: `http://127.0.0.1:${port}` },
  });
  fixtures.push(refused);
  await attempt(refused, PROJECT);

  for (const fixture of fixtures) {
    for (const call of fixture.sim.calls()) if (call.token !== undefined) tokens.add(call.token);
  }
  assert.ok(tokens.size >= 5, `only ${tokens.size} tokens seen`);
  assert.equal(errors.length, 9, 'every failure above was thrown');

  const logs = fixtures.map((fixture) => fixture.logs()).join('\n');
  assert.match(logs, /"msg":"IAM token issued"/);
  assert.match(logs, /"msg":"IAM token exchange failed"/);
  assert.match(logs, /"msg":"IAM token served from cache"/);
  assert.match(logs, /"msg":"IAM token invalidated"/);
  const thrown = errorsText(errors);
  const metrics = (
    await Promise.all(fixtures.map((fixture) => fixture.metrics.registry.metrics()))
  ).join('\n');

  for (const [where, text] of [
    ['the log', logs],
    ['a thrown error', thrown],
    ['the metrics', metrics],
  ] as const) {
    for (const secret of [CANARY, WRONG_CANARY, ...tokens]) {
      assert.ok(!text.includes(secret), `${where} contains a secret (${secret.slice(0, 12)}…)`);
    }
    // A token cut anywhere would still be a leak: no long run of one appears either.
    for (const token of tokens) {
      assert.ok(!text.includes(token.slice(100, 164)), `${where} contains part of a token`);
    }
  }
});

test('no ID token, nor the token it is exchanged for, reaches the log, a thrown problem or a metric', async (t) => {
  const issuer = await createDevIssuer({
    issuer: OIDC_ISSUER,
    audience: 'sts',
    algorithm: 'RS256',
  });
  const dir = mkdtempSync(join(tmpdir(), 'rescind-idtoken-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const tokenFile = join(dir, 'token');
  const idTokens: string[] = [];
  const rotate = async (expiresIn: string | number = '1h') => {
    const token = await issuer.sign({ sub: 'system:serviceaccount:ns:rescind' }, { expiresIn });
    writeFileSync(tokenFile, `${token}\n`);
    idTokens.push(token);
    return token;
  };
  await rotate();
  const fixture = await startProvider(t, {
    sim: {
      credentials: {
        identityProviders: [
          { id: 'idp', domain: DEMO_ACCOUNT.domain, issuer: OIDC_ISSUER, keys: issuer.jwks.keys },
        ],
      },
    },
    oidc: { idpId: 'idp', tokenFile, domainId: DEMO_ACCOUNT.domainId },
  });
  const errors: unknown[] = [];
  const attempt = async (scope: TokenScope) => {
    try {
      return (await fixture.provider.getToken(scope, requestOptions())).value;
    } catch (error) {
      errors.push(error);
      return undefined;
    }
  };

  const first = await attempt(PROJECT);
  await attempt(DOMAIN);
  if (first !== undefined) fixture.provider.invalidate(PROJECT, first);
  // IAM quoting the ID token back, whole and in part, in each envelope.
  const quoted = await rotate();
  fixture.sim.injectFault({
    service: 'iam',
    kind: 'status',
    status: 400,
    body: { error: { code: 400, message: `bad id_token ${quoted}`, title: 'Bad Request' } },
  });
  await attempt(PROJECT);
  fixture.sim.injectFault({
    service: 'iam',
    kind: 'status',
    status: 500,
    body: { error_code: 'IAM.9999', error_msg: `failed: ${quoted.slice(40, 400)}` },
  });
  await attempt(PROJECT);
  // An expired ID token (IAM refuses it) and a missing file.
  await rotate(-60);
  await attempt(PROJECT);
  rmSync(tokenFile);
  await attempt(PROJECT);
  assert.equal(errors.length, 4, 'every failure above was thrown');

  const tokens = fixture.sim
    .calls()
    .map((call) => call.token)
    .filter((token) => token !== undefined);
  const issued = fixture.sim.issuedTokens();
  assert.ok(issued >= 2, 'tokens were issued');
  const logs = fixture.logs();
  assert.match(logs, /"method":"id_token"/);
  const thrown = errorsText(errors);
  const metrics = await fixture.metrics.registry.metrics();
  for (const [where, text] of [
    ['the log', logs],
    ['a thrown error', thrown],
    ['the metrics', metrics],
  ] as const) {
    for (const secret of [...idTokens, ...tokens]) {
      assert.ok(!text.includes(secret), `${where} contains a secret (${secret.slice(0, 12)}…)`);
      assert.ok(!text.includes(secret.slice(60, 124)), `${where} contains part of a secret`);
    }
  }
});
