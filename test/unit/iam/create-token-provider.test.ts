import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import {
  DEFAULT_IAM_RETRY_AFTER_SECONDS,
  DEFAULT_IAM_THROTTLE_RETRY_AFTER_SECONDS,
} from '../../../src/iam/iam-failure.ts';
import { createTokenProvider } from '../../../src/iam/create-token-provider.ts';
import type { TokenProvider, TokenScope } from '../../../src/iam/token-provider.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import { ProblemError } from '../../../src/problems/problem-error.ts';
import { DEMO_ACCOUNT, DEMO_AGENCY, DEMO_PROJECTS } from '../../../src/simulator/index.ts';
import { passwordBody } from '../../simulator/sim-client.ts';
import { requestOptions, startProvider } from './provider-fixture.ts';

const [DEFAULT_PROJECT, EU_PROJECT] = DEMO_PROJECTS.map((p) => p.id) as [string, string];
const PROJECT: TokenScope = { kind: 'project', projectId: DEFAULT_PROJECT };
const DOMAIN: TokenScope = { kind: 'domain' };
const HOUR = 3_600_000;

/** Asserts a ProblemError with `code` from IAM and returns it for further checks. */
async function rejectsWith(promise: Promise<unknown>, code: string): Promise<ProblemError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof ProblemError, `expected a ProblemError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.equal(caught.upstream?.service, 'iam');
  return caught;
}

/** Asserts that a project-scoped token request fails with `code` from IAM; returns the problem. */
function refusesProjectToken(provider: TokenProvider, code: string): Promise<ProblemError> {
  return rejectsWith(provider.getToken(PROJECT, requestOptions()), code);
}

describe('password exchange against the simulator', () => {
  test('sends the Keystone password body with ?nocatalog=true and caches the 24-hour token', async (t) => {
    const { sim, provider, exchanges, cacheHits } = await startProvider(t);
    const before = Date.now();
    const token = await provider.getToken(PROJECT, requestOptions());

    const [call, ...others] = sim.calls({ service: 'iam' });
    assert.ok(call);
    assert.equal(others.length, 0);
    assert.equal(call.method, 'POST');
    assert.equal(call.path, '/v3/auth/tokens');
    assert.deepEqual(call.query, { nocatalog: 'true' });
    assert.equal(call.status, 201);
    assert.deepEqual(JSON.parse(call.body), passwordBody({ project: { id: DEFAULT_PROJECT } }));
    assert.equal(call.headers['x-auth-token'], undefined);
    assert.match(call.headers['content-type'] ?? '', /^application\/json/);
    assert.equal(call.headers['x-request-id'], 'req-0001');

    assert.match(token.value, /^MII/);
    assert.equal(token.value.length, 9000, 'a ~9 KB token arrives whole');
    assert.ok(Math.abs(token.expiresAt - (before + 24 * HOUR)) < 60_000);

    for (let i = 0; i < 20; i += 1) {
      assert.equal((await provider.getToken(PROJECT, requestOptions())).value, token.value);
    }
    assert.equal(sim.calls({ service: 'iam' }).length, 1);
    assert.deepEqual(await exchanges(), { [`project:${DEFAULT_PROJECT} success`]: 1 });
    assert.deepEqual(await cacheHits(), { [`project:${DEFAULT_PROJECT}`]: 20 });
  });

  test('makes exactly one IAM call for 50 concurrent cold requests of one scope', async (t) => {
    const { sim, provider } = await startProvider(t);
    const tokens = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        provider.getToken(PROJECT, requestOptions(15_000, Date.now, `req-${i}`)),
      ),
    );
    assert.equal(sim.calls({ service: 'iam' }).length, 1);
    assert.equal(new Set(tokens.map((token) => token.value)).size, 1);
  });

  test('scopes tokens to the project, or to the account domain for the domain scope', async (t) => {
    const { sim, provider } = await startProvider(t);
    const project = await provider.getToken(PROJECT, requestOptions());
    const eu = await provider.getToken(
      { kind: 'project', projectId: EU_PROJECT },
      requestOptions(),
    );
    const domain = await provider.getToken(DOMAIN, requestOptions());
    assert.equal(new Set([project.value, eu.value, domain.value]).size, 3);

    const scopes = sim.calls({ service: 'iam' }).map((call) => {
      const body = JSON.parse(call.body) as { auth: { scope: unknown } };
      return body.auth.scope;
    });
    assert.deepEqual(scopes, [
      { project: { id: DEFAULT_PROJECT } },
      { project: { id: EU_PROJECT } },
      { domain: { name: DEMO_ACCOUNT.domain } },
    ]);
    // Each scope is cached on its own.
    assert.equal((await provider.getToken(DOMAIN, requestOptions())).value, domain.value);
    assert.equal((await provider.getToken(PROJECT, requestOptions())).value, project.value);
    assert.equal(sim.calls({ service: 'iam' }).length, 3);
  });

  test('exchanges again after invalidate, and ignores an invalidate of an older token', async (t) => {
    const { sim, provider } = await startProvider(t);
    const first = await provider.getToken(PROJECT, requestOptions());
    provider.invalidate(PROJECT, first.value);
    const second = await provider.getToken(PROJECT, requestOptions());
    assert.notEqual(second.value, first.value);
    provider.invalidate(PROJECT, first.value);
    assert.equal((await provider.getToken(PROJECT, requestOptions())).value, second.value);
    assert.equal(sim.calls({ service: 'iam' }).length, 2);
  });

  test('re-exchanges instead of handing out an expired 3-second token', async (t) => {
    let now = Date.UTC(2025, 0, 6, 9, 0, 0);
    const clock = () => now;
    const { sim, provider } = await startProvider(t, {
      sim: { tokenLifetimeSeconds: 3, clock },
      clock,
    });
    const call = () => provider.getToken(PROJECT, requestOptions(1000, clock));

    const first = await call();
    assert.equal(first.expiresAt, now + 3000);
    now += 400;
    assert.equal((await call()).value, first.value, 'reused early in its life');
    now += 1600; // 2 s old: within the margin (half of 3 s) of its expiry
    const second = await call();
    assert.notEqual(second.value, first.value);
    assert.ok(second.expiresAt > now + 1000);
    now += 5000; // long expired
    const third = await call();
    assert.notEqual(third.value, second.value);
    assert.ok(third.expiresAt > now);
    assert.equal(sim.calls({ service: 'iam' }).length, 3);
  });
});

describe('agency (assume_role) exchange against the simulator', () => {
  const agency = { agency: DEMO_AGENCY.name, agencyDomain: DEMO_AGENCY.domain };

  test("sends the service account's own token, then assume_role with the agency", async (t) => {
    const { sim, provider, exchanges } = await startProvider(t, { iam: agency });
    const token = await provider.getToken(PROJECT, requestOptions());

    const [own, assume, ...rest] = sim.calls({ service: 'iam' });
    assert.ok(own && assume);
    assert.equal(rest.length, 0);
    assert.deepEqual(JSON.parse(own.body), passwordBody({ domain: { name: DEMO_ACCOUNT.domain } }));
    assert.deepEqual(own.query, { nocatalog: 'true' });
    assert.equal(own.headers['x-auth-token'], undefined);
    assert.equal(own.status, 201);

    assert.equal(assume.path, '/v3/auth/tokens');
    assert.deepEqual(assume.query, { nocatalog: 'true' });
    assert.deepEqual(JSON.parse(assume.body), {
      auth: {
        identity: {
          methods: ['assume_role'],
          assume_role: { domain_name: DEMO_AGENCY.domain, agency_name: DEMO_AGENCY.name },
        },
        scope: { project: { id: DEFAULT_PROJECT } },
      },
    });
    assert.deepEqual(assume.tokenScope, { kind: 'domain', domain: DEMO_ACCOUNT.domain });
    assert.equal(assume.status, 201);
    assert.notEqual(token.value, assume.token, 'the agency token, not the own token');

    // The own token is cached too: the domain scope needs only the assume_role step.
    await provider.getToken(DOMAIN, requestOptions());
    const [third, ...none] = sim.calls({ service: 'iam' }).slice(2);
    assert.ok(third);
    assert.equal(none.length, 0);
    assert.equal(third.token, assume.token);
    assert.deepEqual((JSON.parse(third.body) as { auth: { scope: unknown } }).auth.scope, {
      domain: { name: DEMO_AGENCY.domain },
    });
    assert.deepEqual(await exchanges(), {
      'own-domain success': 1,
      [`project:${DEFAULT_PROJECT} success`]: 1,
      'domain success': 1,
    });
  });

  test('fetches a new own token once when IAM no longer takes the cached one', async (t) => {
    const { sim, provider } = await startProvider(t, { iam: agency });
    const first = await provider.getToken(PROJECT, requestOptions());
    sim.revokeAllTokens(); // as after a password change
    provider.invalidate(PROJECT, first.value);
    sim.clearCalls();

    const second = await provider.getToken(PROJECT, requestOptions());
    assert.notEqual(second.value, first.value);
    const steps = sim.calls({ service: 'iam' }).map((call) => {
      const body = JSON.parse(call.body) as { auth: { identity: { methods: string[] } } };
      return `${body.auth.identity.methods.join()} ${call.status}`;
    });
    assert.deepEqual(steps, ['assume_role 401', 'password 201', 'assume_role 201']);
  });

  test('answers UPSTREAM_AUTH_FAILED when IAM refuses the agency', async (t) => {
    const { provider } = await startProvider(t, {
      iam: { agency: 'no-such-agency', agencyDomain: DEMO_AGENCY.domain },
    });
    const problem = await refusesProjectToken(provider, 'UPSTREAM_AUTH_FAILED');
    assert.equal(problem.upstream?.status, 403);
  });
});

describe('IAM failures', () => {
  test('answers UPSTREAM_AUTH_FAILED with what IAM said when the password is wrong', async (t) => {
    const { provider, exchanges } = await startProvider(t, {
      iam: { password: 'not-the-right-pw-7f3a' },
    });
    const problem = await refusesProjectToken(provider, 'UPSTREAM_AUTH_FAILED');
    assert.equal(problem.status, 502);
    assert.equal(problem.retryAfter, undefined);
    assert.equal(problem.upstream?.status, 401);
    assert.equal(problem.upstream.message, 'The username or password is wrong.');
    assert.match(problem.upstream.requestId ?? '', /^[0-9a-f]{32}$/);
    assert.deepEqual(await exchanges(), { [`project:${DEFAULT_PROJECT} rejected`]: 1 });
  });

  test('answers UPSTREAM_UNAVAILABLE with Retry-After when IAM answers 500, and retries next time', async (t) => {
    const { sim, provider, exchanges } = await startProvider(t);
    sim.injectFault({ service: 'iam', kind: 'status', status: 500 });
    const problem = await refusesProjectToken(provider, 'UPSTREAM_UNAVAILABLE');
    assert.equal(problem.status, 503);
    assert.equal(problem.retryAfter, DEFAULT_IAM_RETRY_AFTER_SECONDS);
    assert.equal(problem.upstream?.status, 500);

    await provider.getToken(PROJECT, requestOptions());
    assert.equal(sim.calls({ service: 'iam' }).length, 2);
    assert.deepEqual(await exchanges(), {
      [`project:${DEFAULT_PROJECT} unavailable`]: 1,
      [`project:${DEFAULT_PROJECT} success`]: 1,
    });
  });

  test('answers UPSTREAM_THROTTLED with a 3-second Retry-After when IAM throttles', async (t) => {
    const { sim, provider, exchanges } = await startProvider(t);
    sim.injectFault({ service: 'iam', kind: 'throttle' });
    const problem = await refusesProjectToken(provider, 'UPSTREAM_THROTTLED');
    assert.equal(problem.status, 429);
    assert.equal(problem.retryAfter, DEFAULT_IAM_THROTTLE_RETRY_AFTER_SECONDS);
    assert.equal(problem.upstream?.status, 429);
    assert.equal(problem.upstream.code, 'IAM.0012');
    assert.deepEqual(await exchanges(), { [`project:${DEFAULT_PROJECT} throttled`]: 1 });
  });

  test('answers UPSTREAM_UNAVAILABLE when IAM does not answer within exchangeTimeoutMs', async (t) => {
    const { sim, provider } = await startProvider(t, { iam: { exchangeTimeoutMs: 200 } });
    sim.injectFault({ service: 'iam', kind: 'hang' });
    const problem = await refusesProjectToken(provider, 'UPSTREAM_UNAVAILABLE');
    assert.equal(problem.retryAfter, DEFAULT_IAM_RETRY_AFTER_SECONDS);
    assert.equal(problem.upstream?.status, undefined);
    assert.equal(problem.detail, 'IAM did not answer within 200 ms.');
  });

  test('answers UPSTREAM_UNAVAILABLE when IAM resets the connection', async (t) => {
    const { sim, provider } = await startProvider(t);
    sim.injectFault({ service: 'iam', kind: 'reset' });
    const problem = await refusesProjectToken(provider, 'UPSTREAM_UNAVAILABLE');
    assert.equal(problem.retryAfter, DEFAULT_IAM_RETRY_AFTER_SECONDS);
    assert.match(
      problem.detail ?? '',
      /^IAM could not be reached \(connection (reset|closed)\)\.$/,
    );
  });

  for (const kind of ['html', 'empty', 'truncated-json'] as const) {
    test(`answers UPSTREAM_UNAVAILABLE for an IAM ${kind} error answer`, async (t) => {
      const { sim, provider } = await startProvider(t);
      sim.injectFault({ service: 'iam', kind });
      await refusesProjectToken(provider, 'UPSTREAM_UNAVAILABLE');
    });
  }

  test('reads at most a bounded part of an oversized IAM answer', async (t) => {
    const { sim, provider } = await startProvider(t);
    sim.injectFault({ service: 'iam', kind: 'oversized', status: 502, sizeBytes: 50_000_000 });
    await refusesProjectToken(provider, 'UPSTREAM_UNAVAILABLE');
  });

  test('answers UPSTREAM_UNAVAILABLE for a 201 without a token header', async (t) => {
    const { sim, provider } = await startProvider(t);
    sim.injectFault({
      service: 'iam',
      kind: 'status',
      status: 201,
      body: { token: { expires_at: '2099-01-01T00:00:00.000000Z' } },
    });
    const problem = await refusesProjectToken(provider, 'UPSTREAM_UNAVAILABLE');
    assert.equal(problem.detail, 'IAM answered without a token.');
  });

  test('treats a 201 with an unreadable expiry as an error, not as a token that never expires', async (t) => {
    const { sim, provider } = await startProvider(t);
    sim.injectFault({
      service: 'iam',
      kind: 'status',
      status: 201,
      body: { token: { expires_at: 'never' } },
      headers: { 'x-subject-token': 'MIIfake' },
    });
    await refusesProjectToken(provider, 'UPSTREAM_UNAVAILABLE');
    // Nothing was cached: the next request exchanges again and gets a real token.
    const token = await provider.getToken(PROJECT, requestOptions());
    assert.notEqual(token.value, 'MIIfake');
  });

  test('answers UPSTREAM_UNAVAILABLE when nothing listens on the IAM port', async (t) => {
    const server = createServer();
    await new Promise<void>((resolve) => {
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      server.close((error) => {
        if (error) reject(error);
        else resolve();
      });
    });
    const { provider } = await startProvider(t, { iam: { endpoint: `http://127.0.0.1:${port}` } });
    const problem = await refusesProjectToken(provider, 'UPSTREAM_UNAVAILABLE');
    assert.equal(problem.detail, 'IAM could not be reached (connection refused).');
    assert.equal(problem.retryAfter, DEFAULT_IAM_RETRY_AFTER_SECONDS);
  });

  test("stops a caller's wait at its deadline while the exchange goes on for the others", async (t) => {
    const { sim, provider, cacheHits } = await startProvider(t);
    sim.injectFault({ service: 'iam', kind: 'delay', delayMs: 1000 });
    const hasty = provider.getToken(PROJECT, requestOptions(50));
    const patient = provider.getToken(PROJECT, requestOptions(10_000));
    const problem = await rejectsWith(hasty, 'UPSTREAM_UNAVAILABLE');
    assert.ok((problem.retryAfter ?? 0) > 0);

    const token = await patient;
    assert.equal((await provider.getToken(PROJECT, requestOptions())).value, token.value);
    assert.equal(sim.calls({ service: 'iam' }).length, 1);
    assert.deepEqual(await cacheHits(), { [`project:${DEFAULT_PROJECT}`]: 1 });
  });
});

test('refuses to build an agency provider without the agency domain', () => {
  assert.throws(
    () =>
      createTokenProvider({
        iam: {
          endpoint: 'http://127.0.0.1:9',
          domain: 'd',
          user: 'u',
          password: 'p',
          agency: 'a',
          tokenRefreshMarginSeconds: 2400,
          exchangeTimeoutMs: 5000,
        },
        metrics: createMetrics(undefined, { process: false }),
        logger: createLogger({ level: 'silent' }),
      }),
    /agencyDomain is required/,
  );
});

test("reads a token far over Node's default 16 KiB header limit", async (t) => {
  const { provider } = await startProvider(t, { sim: { tokenSizeBytes: 40_000 } });
  const token = await provider.getToken(PROJECT, requestOptions());
  assert.equal(token.value.length, 40_000, 'a 40 KB token arrives whole');
});

test('names oversized answer headers when a token outgrows the 64 KiB header limit', async (t) => {
  const { provider } = await startProvider(t, { sim: { tokenSizeBytes: 70_000 } });
  const problem = await refusesProjectToken(provider, 'UPSTREAM_UNAVAILABLE');
  assert.equal(problem.detail, "IAM's answer headers were too large to read.");
});
