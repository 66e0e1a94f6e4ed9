// The token exchange of docs/api.md "Cloud credentials" through the whole gateway against the simulator's IAM:
// one exchange for many cold requests, reuse of long-lived tokens, never an expired token, one
// re-exchange when the cloud says the token is no longer good, the agency exchange, the token
// scopes, and what the caller is told when IAM fails.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { OPERATIONS, type OperationName } from '../../src/operations/catalog.ts';
import {
  DEMO_ACCOUNT,
  DEMO_AGENCY,
  type FaultSpec,
  type RecordedCall,
} from '../../src/simulator/index.ts';
import { startGatewayFor, type GatewayOptions } from '../helpers/gateway.ts';
import {
  DEFAULT_PROJECT,
  call,
  callFresh,
  expectProblem,
  expectRevoked,
  iamCallsSince,
  markCalls,
  seedDefault,
  serviceCallsSince,
} from './support-routes.ts';

/** A fault of the simulator's IAM. */
type IamFault = FaultSpec extends infer F
  ? F extends unknown
    ? Omit<F, 'service'>
    : never
  : never;

/** The operations that take a project-scoped token. */
const PROJECT_OPERATIONS: readonly OperationName[] = OPERATIONS.filter(
  (operation) => operation.tokenScope === 'project',
).map((operation) => operation.name);

function authBodyOf(recorded: RecordedCall): {
  identity: { methods: string[]; assume_role?: Record<string, unknown> };
  scope: { project?: { id?: string }; domain?: { name?: string; id?: string } };
} {
  const parsed = JSON.parse(recorded.body) as {
    auth: ReturnType<typeof authBodyOf>;
  };
  return parsed.auth;
}

/** The cloud answered every call as a success: no token it received had expired. */
function assertAllAccepted(calls: readonly RecordedCall[]): void {
  for (const recorded of calls) {
    assert.ok(
      recorded.status >= 200 && recorded.status <= 299,
      `${recorded.method} ${recorded.path} was answered ${String(recorded.status)}`,
    );
    assert.equal(recorded.fault, undefined);
  }
}

// Every test has its own gateway (their token caches must start cold), so they run together.
describe('token exchange', { concurrency: true }, () => {
  test('50 concurrent cold revocations cause exactly one IAM exchange and all use its token', async (t) => {
    const gw = await startGatewayFor(t);
    const seeded = Array.from({ length: 50 }, () => seedDefault(gw.sim, 'kms.revokeGrant'));

    const answers = await Promise.all(seeded.map((resource) => call(gw, resource.path)));

    for (const answer of answers) expectRevoked(answer);
    assert.equal(iamCallsSince(gw.sim, 0).length, 1);
    const calls = serviceCallsSince(gw.sim, 0);
    assert.equal(calls.length, 50);
    assertAllAccepted(calls);
    assert.equal(new Set(calls.map((recorded) => recorded.token)).size, 1, 'one token for all');
    assert.ok(seeded.every((resource) => !resource.exists()));
  });

  test('a 24-hour token is reused: 20 sequential revocations cause one IAM exchange', async (t) => {
    const gw = await startGatewayFor(t);

    for (let i = 0; i < 20; i += 1) {
      expectRevoked(await callFresh(gw, PROJECT_OPERATIONS[i % PROJECT_OPERATIONS.length]!));
    }

    assert.equal(iamCallsSince(gw.sim, 0).length, 1);
    const calls = serviceCallsSince(gw.sim, 0);
    assert.equal(calls.length, 20);
    assert.equal(new Set(calls.map((recorded) => recorded.token)).size, 1);
  });

  test('3-second tokens are renewed as they near expiry and never sent once expired', async (t) => {
    const gw = await startGatewayFor(t, { simulator: { tokenLifetimeSeconds: 3 } });
    // Long enough to outlive the first token by half a lifetime; KMS and APIG answer an
    // expired token differently (403 KMS.0303, 401 APIGW.0307), so both are exercised.
    const until = Date.now() + 3400;
    let revocations = 0;
    while (Date.now() < until) {
      const operation = revocations % 2 === 0 ? 'kms.revokeGrant' : 'apig.deleteCertificate';
      expectRevoked(await callFresh(gw, operation));
      revocations += 1;
      await sleep(100);
    }

    const calls = serviceCallsSince(gw.sim, 0);
    assertAllAccepted(calls);
    assert.equal(calls.length, revocations, 'no call had to be replayed with a new token');
    assert.ok(iamCallsSince(gw.sim, 0).length >= 2, 'tokens were renewed');
    assert.ok(new Set(calls.map((recorded) => recorded.token)).size >= 2);
  });

  test('a 3-second token left idle past its expiry is replaced before the next call', async (t) => {
    const gw = await startGatewayFor(t, { simulator: { tokenLifetimeSeconds: 3 } });
    expectRevoked(await callFresh(gw, 'scm.revokePrivacy'));
    const first = serviceCallsSince(gw.sim, 0)[0]!;
    await sleep(3200);
    const mark = markCalls(gw.sim);

    expectRevoked(await callFresh(gw, 'scm.revokePrivacy'));

    const calls = serviceCallsSince(gw.sim, mark);
    assert.equal(calls.length, 1, 'sent once, with a token the cloud took');
    assertAllAccepted(calls);
    assert.equal(iamCallsSince(gw.sim, mark).length, 1);
    assert.notEqual(calls[0]!.token, first.token);
  });

  for (const [service, seedName, status] of [
    ['apig', 'apig.deleteCertificate', 401],
    ['kms', 'kms.revokeGrant', 403],
  ] as const) {
    test(`${service}: a token the cloud calls expired (${String(status)}) is re-exchanged once and the revocation succeeds`, async (t) => {
      const gw = await startGatewayFor(t);
      expectRevoked(await callFresh(gw, seedName)); // the cache is warm
      const mark = markCalls(gw.sim);
      gw.sim.injectFault({ service, kind: 'token-expired', count: 1 });
      const seeded = seedDefault(gw.sim, seedName);

      expectRevoked(await call(gw, seeded.path));

      const [refused, replayed, ...rest] = serviceCallsSince(gw.sim, mark);
      assert.equal(rest.length, 0, 'one replay');
      assert.equal(refused?.status, status);
      assert.equal(refused.fault, 'token-expired');
      assert.equal(replayed?.status, seeded.service === 'kms' ? 200 : 204);
      assert.notEqual(replayed.token, refused.token, 'the replay carries a new token');
      assert.equal(iamCallsSince(gw.sim, mark).length, 1, 'exactly one re-exchange');
      assert.equal(seeded.exists(), false);

      // The new token is the cached one from now on.
      const after = markCalls(gw.sim);
      expectRevoked(await callFresh(gw, seedName));
      assert.equal(iamCallsSince(gw.sim, after).length, 0);
      assert.equal(serviceCallsSince(gw.sim, after)[0]?.token, replayed.token);
    });
  }

  test('a permanent 401 answers 502 UPSTREAM_AUTH_FAILED after exactly one replay with a new token', async (t) => {
    const gw = await startGatewayFor(t);
    expectRevoked(await callFresh(gw, 'modelarts.deleteAuthorization'));
    const mark = markCalls(gw.sim);
    gw.sim.injectFault({
      service: 'modelarts',
      kind: 'status',
      status: 401,
      count: Infinity,
      body: { error_code: 'APIGW.0301', error_msg: 'Incorrect IAM authentication information' },
    });
    const seeded = seedDefault(gw.sim, 'modelarts.deleteAuthorization');

    const problem = expectProblem(await call(gw, seeded.path), 502, 'UPSTREAM_AUTH_FAILED');

    assert.equal(problem.upstream?.service, 'modelarts');
    assert.equal(problem.upstream.status, 401);
    const calls = serviceCallsSince(gw.sim, mark);
    assert.equal(calls.length, 2, 'the call and one replay');
    assert.notEqual(calls[0]!.token, calls[1]!.token);
    assert.equal(iamCallsSince(gw.sim, mark).length, 1);
    assert.equal(seeded.exists(), true);
  });

  test('agency mode sends the two-step exchange: the account’s own token, then assume_role', async (t) => {
    const gw = await startGatewayFor(t, {
      env: { RESCIND_IAM_AGENCY: DEMO_AGENCY.name, RESCIND_IAM_AGENCY_DOMAIN: DEMO_AGENCY.domain },
    });
    const privacy = seedDefault(gw.sim, 'scm.revokePrivacy');
    const csr = seedDefault(gw.sim, 'scm.deleteCsr');

    expectRevoked(await call(gw, privacy.path));
    expectRevoked(await call(gw, csr.path));

    const [own, projectRole, domainRole, ...rest] = iamCallsSince(gw.sim, 0);
    assert.equal(rest.length, 0, "the account's own token is exchanged once and reused");
    assert.ok(own !== undefined && projectRole !== undefined && domainRole !== undefined);

    const ownAuth = authBodyOf(own);
    assert.deepEqual(ownAuth.identity.methods, ['password']);
    assert.deepEqual(ownAuth.scope, { domain: { name: DEMO_ACCOUNT.domain } });
    assert.equal(own.headers['x-auth-token'], undefined);

    for (const step of [projectRole, domainRole]) {
      const auth = authBodyOf(step);
      assert.deepEqual(auth.identity.methods, ['assume_role']);
      assert.equal(auth.identity.assume_role?.agency_name, DEMO_AGENCY.name);
      assert.equal(auth.identity.assume_role.domain_name, DEMO_AGENCY.domain);
      assert.ok(!step.body.includes(DEMO_ACCOUNT.password), 'no password in assume_role');
      assert.deepEqual(step.tokenScope, { kind: 'domain', domain: DEMO_ACCOUNT.domain });
    }
    assert.deepEqual(authBodyOf(projectRole).scope, { project: { id: DEFAULT_PROJECT } });
    assert.ok(authBodyOf(domainRole).scope.domain !== undefined);

    const [privacyCall, csrCall] = serviceCallsSince(gw.sim, 0);
    assert.deepEqual(privacyCall?.tokenScope, { kind: 'project', projectId: DEFAULT_PROJECT });
    assert.deepEqual(csrCall?.tokenScope, { kind: 'domain', domain: DEMO_AGENCY.domain });
    assert.equal(privacy.exists() || csr.exists(), false);
  });

  test('the domain-scoped token goes to /v3/scm/csr only and project tokens everywhere else', async (t) => {
    const gw = await startGatewayFor(t);

    for (const operation of OPERATIONS) {
      expectRevoked(await callFresh(gw, operation.name));
    }

    const calls = serviceCallsSince(gw.sim, 0);
    assert.equal(calls.length, OPERATIONS.length);
    for (const recorded of calls) {
      const expected = recorded.path.startsWith('/v3/scm/csr/')
        ? { kind: 'domain', domain: DEMO_ACCOUNT.domain }
        : { kind: 'project', projectId: DEFAULT_PROJECT };
      assert.deepEqual(recorded.tokenScope, expected, recorded.path);
    }
    const scopes = iamCallsSince(gw.sim, 0).map((recorded) => authBodyOf(recorded).scope);
    assert.deepEqual(scopes, [
      { project: { id: DEFAULT_PROJECT } },
      { domain: { name: DEMO_ACCOUNT.domain } },
    ]);
  });

  test('a wrong service password answers 502 UPSTREAM_AUTH_FAILED and calls no service', async (t) => {
    const password = 'not-the-service-password';
    const gw = await startGatewayFor(t, { env: { RESCIND_IAM_PASSWORD: password } });
    const seeded = seedDefault(gw.sim, 'apig.deleteCertificate');

    const answer = await call(gw, seeded.path);

    const problem = expectProblem(answer, 502, 'UPSTREAM_AUTH_FAILED');
    assert.equal(problem.upstream?.service, 'iam');
    assert.equal(problem.upstream.status, 401);
    assert.ok(!answer.text.includes(password));
    assert.equal(iamCallsSince(gw.sim, 0).length, 1, 'a rejected password is not retried');
    assert.deepEqual(serviceCallsSince(gw.sim, 0), []);
    assert.equal(seeded.exists(), true);
    assert.ok(!gw.logs().includes(password), 'the password is not logged');
  });

  /** IAM failing as the cloud's own services never do: the caller is told, and nothing is sent. */
  const IAM_FAILURES: readonly {
    readonly title: string;
    readonly fault: IamFault;
    readonly operation: OperationName;
    readonly status: number;
    readonly code: string;
    readonly gateway?: GatewayOptions;
    /** Abandon the call (and fail) if no answer comes by then. */
    readonly timeoutMs?: number;
  }[] = [
    {
      title:
        'IAM answering 500 gives 503 UPSTREAM_UNAVAILABLE with Retry-After and calls no service',
      fault: { kind: 'status', status: 500 },
      operation: 'scm.revokePrivacy',
      status: 503,
      code: 'UPSTREAM_UNAVAILABLE',
    },
    {
      title: 'IAM throttling gives 429 UPSTREAM_THROTTLED with Retry-After and calls no service',
      fault: { kind: 'throttle' },
      operation: 'kms.revokeGrant',
      status: 429,
      code: 'UPSTREAM_THROTTLED',
    },
    {
      title: 'IAM that never answers still leaves the caller an answer within the request deadline',
      fault: { kind: 'hang' },
      operation: 'modelarts.deleteAuthorization',
      status: 503,
      code: 'UPSTREAM_UNAVAILABLE',
      gateway: {
        config: { upstream: { deadlineMs: 1500 }, cloud: { iam: { exchangeTimeoutMs: 1000 } } },
      },
      // Well after the 1.5 s deadline.
      timeoutMs: 1500 + 3000,
    },
  ];

  for (const failure of IAM_FAILURES) {
    test(failure.title, async (t) => {
      const gw = await startGatewayFor(t, failure.gateway);
      gw.sim.injectFault({ ...failure.fault, service: 'iam', count: Infinity });
      const seeded = seedDefault(gw.sim, failure.operation);

      const answer = await call(
        gw,
        seeded.path,
        failure.timeoutMs === undefined ? {} : { timeoutMs: failure.timeoutMs },
      );

      const problem = expectProblem(answer, failure.status, failure.code);
      assert.equal(problem.upstream?.service, 'iam');
      assert.match(answer.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
      assert.deepEqual(serviceCallsSince(gw.sim, 0), []);
      assert.equal(seeded.exists(), true);
    });
  }
});
