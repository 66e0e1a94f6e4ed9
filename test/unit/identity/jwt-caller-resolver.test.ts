import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { ConfigError } from '../../../src/config/config-error.ts';
import { configSchema } from '../../../src/config/schema.ts';
import type { CallerResolver } from '../../../src/identity/caller.ts';
import { createDevIssuer, type DevIssuer } from '../../../src/demo/dev-issuer.ts';
import { createJwtCallerResolver } from '../../../src/identity/jwt-caller-resolver.ts';
import {
  assertUnauthenticated,
  base64url,
  bearer,
  capturingLogger,
  evidenceOf,
  startJwksServer,
  type JwksServer,
} from './support.ts';
import { closedPort } from '../../helpers/closed-port.ts';

const ISSUER = 'https://sso.example.invalid';
const AUDIENCE = 'rescind';

function jwtConfig(jwt: Record<string, unknown>) {
  return configSchema.shape.identity.parse({
    mode: 'jwt',
    jwt: { issuer: ISSUER, audience: AUDIENCE, ...jwt },
  }).jwt;
}

/** An unsecured or HMAC token built by hand, the way an attacker would. */
function forge(header: Record<string, unknown>, payload: Record<string, unknown>, secret?: string) {
  const input = `${base64url(header)}.${base64url(payload)}`;
  if (secret === undefined) return `${input}.`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

function claimsFor(sub = 'alice') {
  const now = Math.floor(Date.now() / 1000);
  return { iss: ISSUER, aud: AUDIENCE, sub, groups: ['secops'], iat: now, exp: now + 300 };
}

describe('JWT callers verified against a JWKS URL on loopback', () => {
  let sso: DevIssuer;
  let jwks: JwksServer;
  let resolver: CallerResolver;
  const log = capturingLogger();

  before(async () => {
    sso = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
    jwks = await startJwksServer(sso.jwks);
    resolver = createJwtCallerResolver(jwtConfig({ jwksUrl: jwks.url }), { logger: log.logger });
  });
  after(() => jwks.close());

  test('a valid token yields the caller: subject, email and groups', async () => {
    const token = await sso.sign({ sub: 'alice', email: 'alice@example.com', groups: ['secops'] });
    const caller = await resolver.authenticate(bearer(token));
    assert.deepEqual(caller, {
      subject: 'alice',
      email: 'alice@example.com',
      groups: ['secops'],
      via: 'jwt',
    });
  });

  test('the scheme name is case-insensitive (RFC 9110)', async () => {
    const token = await sso.sign({ sub: 'alice' });
    const caller = await resolver.authenticate(evidenceOf([['authorization', `bearer ${token}`]]));
    assert.equal(caller.subject, 'alice');
    assert.deepEqual(caller.groups, []);
    assert.equal(caller.email, undefined);
  });

  test('refuses an expired token', async () => {
    const token = await sso.sign({ sub: 'alice' }, { expiresIn: -120 });
    await assertUnauthenticated(resolver.authenticate(bearer(token)), /expired/, token);
  });

  test('accepts a token expired by less than the clock tolerance (30 s)', async () => {
    const token = await sso.sign({ sub: 'alice' }, { expiresIn: -10 });
    assert.equal((await resolver.authenticate(bearer(token))).subject, 'alice');
  });

  test('refuses a token that is not valid yet', async () => {
    const token = await sso.sign({ sub: 'alice' }, { notBefore: 600 });
    await assertUnauthenticated(resolver.authenticate(bearer(token)), /not valid yet/, token);
  });

  test('refuses a token from another issuer', async () => {
    const token = await sso.sign({ sub: 'alice', iss: 'https://evil.example.invalid' });
    await assertUnauthenticated(resolver.authenticate(bearer(token)), /issuer/, token);
  });

  test('refuses a token for another audience', async () => {
    const token = await sso.sign({ sub: 'alice', aud: 'some-other-service' });
    await assertUnauthenticated(resolver.authenticate(bearer(token)), /audience/, token);
  });

  test('refuses a token without a subject', async () => {
    const token = await sso.sign({ sub: undefined as unknown as string });
    await assertUnauthenticated(resolver.authenticate(bearer(token)), /"sub" claim/, token);
  });

  test('refuses a token whose subject is not a string', async () => {
    const token = await sso.sign({ sub: 42 as unknown as string });
    await assertUnauthenticated(resolver.authenticate(bearer(token)), /usable subject/, token);
  });

  test('refuses a token without an expiry', async () => {
    const token = await sso.sign({ sub: 'alice', exp: undefined });
    await assertUnauthenticated(resolver.authenticate(bearer(token)), /"exp" claim/, token);
  });

  test('refuses an unsecured token (alg none), with or without a signature part', async () => {
    const unsecured = forge({ alg: 'none', typ: 'JWT' }, claimsFor());
    await assertUnauthenticated(resolver.authenticate(bearer(unsecured)), /malformed/, unsecured);
    const padded = `${unsecured}AAAA`;
    await assertUnauthenticated(resolver.authenticate(bearer(padded)), /algorithm/, padded);
  });

  test('refuses HS256 signed with the public key as the HMAC secret', async () => {
    const header = { alg: 'HS256', typ: 'JWT', kid: sso.kid };
    for (const secret of [await sso.publicKeyPem(), JSON.stringify(sso.publicJwk)]) {
      const token = forge(header, claimsFor(), secret);
      await assertUnauthenticated(resolver.authenticate(bearer(token)), /algorithm/, token);
    }
  });

  test('refuses a bad signature and a payload altered after signing', async () => {
    const [header, payload] = (await sso.sign({ sub: 'alice', groups: [] })).split('.');
    const [, , otherSignature] = (await sso.sign({ sub: 'mallory', groups: [] })).split('.');
    const swapped = `${String(header)}.${String(payload)}.${String(otherSignature)}`;
    await assertUnauthenticated(resolver.authenticate(bearer(swapped)), /signature/, swapped);

    const [h, , signature] = (await sso.sign({ sub: 'alice', groups: [] })).split('.');
    const escalated = `${String(h)}.${base64url({ ...claimsFor(), groups: ['admins'] })}.${String(signature)}`;
    await assertUnauthenticated(resolver.authenticate(bearer(escalated)), /signature/, escalated);
  });

  test('refuses malformed tokens', async () => {
    for (const token of ['not-a-jwt', 'a.b.c', 'e30.e30.e30', 'x'.repeat(40)]) {
      await assertUnauthenticated(resolver.authenticate(bearer(token)), /malformed/);
    }
  });

  test('refuses a request without credentials, and names the Bearer scheme', async () => {
    const problem = await assertUnauthenticated(
      resolver.authenticate(evidenceOf([])),
      /no credentials/,
    );
    assert.equal(problem.headers?.['WWW-Authenticate'], 'Bearer realm="rescind"');
  });

  test('refuses the Basic scheme and an empty Bearer', async () => {
    const basic = Buffer.from('alice:secret').toString('base64');
    await assertUnauthenticated(
      resolver.authenticate(evidenceOf([['Authorization', `Basic ${basic}`]])),
      /Bearer/,
      basic,
    );
    await assertUnauthenticated(
      resolver.authenticate(evidenceOf([['Authorization', 'Bearer ']])),
      /Bearer/,
    );
  });

  test('refuses two Authorization headers rather than choosing one', async () => {
    const token = await sso.sign({ sub: 'alice' });
    await assertUnauthenticated(
      resolver.authenticate(
        evidenceOf([
          ['Authorization', `Bearer ${token}`],
          ['Authorization', `Bearer ${token}`],
        ]),
      ),
      /more than one Authorization/,
      token,
    );
  });

  test('never logs the token', () => {
    assert.ok(!log.output().includes('eyJ'), 'a JWT reached the log');
  });
});

/** A resolver on a JWKS server publishing `issuer`'s keys, after its first verification fetched them. */
async function resolverOnServedJwks(t: TestContext, issuer: DevIssuer, cooldownSeconds: number) {
  const jwks = await startJwksServer(issuer.jwks);
  t.after(() => jwks.close());
  const resolver = createJwtCallerResolver(
    jwtConfig({ jwksUrl: jwks.url, jwksCooldownSeconds: cooldownSeconds }),
    { logger: capturingLogger().logger },
  );
  await resolver.authenticate(bearer(await issuer.sign({ sub: 'alice' })));
  assert.equal(jwks.fetches(), 1);
  return { jwks, resolver };
}

/** `issuer`'s JWKS written to a file in a directory removed after the test. */
async function jwksFileOf(t: TestContext, issuer: DevIssuer): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'rescind-jwks-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const file = join(dir, 'jwks.json');
  await issuer.writeJwksFile(file);
  return file;
}

describe('JWKS refetching on an unknown kid', () => {
  test('an unknown kid refetches at most once per cooldown, however many arrive', async (t) => {
    const sso = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
    const { jwks, resolver } = await resolverOnServedJwks(t, sso, 30);

    const strangers = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        sso.sign({ sub: 'alice' }, { kid: `made-up-${index}` }),
      ),
    );
    for (const token of strangers) {
      await assertUnauthenticated(resolver.authenticate(bearer(token)), /key/, token);
    }
    await Promise.allSettled(strangers.map((token) => resolver.authenticate(bearer(token))));
    assert.equal(jwks.fetches(), 1, 'unknown kids inside the cooldown caused JWKS fetches');
  });

  test('a key the SSO rotated in is fetched and accepted once the cooldown allows', async (t) => {
    const oldKey = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
    const newKey = await createDevIssuer({
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithm: 'EdDSA',
    });
    const { jwks, resolver } = await resolverOnServedJwks(t, oldKey, 0);

    jwks.serve({ keys: [...oldKey.jwks.keys, ...newKey.jwks.keys] });
    const caller = await resolver.authenticate(bearer(await newKey.sign({ sub: 'bob' })));
    assert.equal(caller.subject, 'bob');
    assert.equal(jwks.fetches(), 2);
    // A kid that is still unknown after the refetch is refused.
    const stranger = await oldKey.sign({ sub: 'alice' }, { kid: 'never-published' });
    await assertUnauthenticated(resolver.authenticate(bearer(stranger)), /key/, stranger);
  });

  test('an unreachable JWKS is a 401 that says so, logged without the token', async () => {
    const port = await closedPort();
    const sso = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
    const log = capturingLogger();
    const resolver = createJwtCallerResolver(
      jwtConfig({ jwksUrl: `http://127.0.0.1:${port}/jwks.json` }),
      { logger: log.logger },
    );
    const token = await sso.sign({ sub: 'alice' });
    await assertUnauthenticated(resolver.authenticate(bearer(token)), /signing keys/, token);
    assert.match(log.output(), /signing keys unavailable/);
    assert.ok(!log.output().includes(token.split('.')[2] ?? token));
  });
});

describe('algorithms, claims and clocks from the configuration', () => {
  test('only allowlisted algorithms verify, even with a published key', async () => {
    const rsa = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE, algorithm: 'RS256' });
    const dir = mkdtempSync(join(tmpdir(), 'rescind-jwks-'));
    const file = join(dir, 'jwks.json');
    await rsa.writeJwksFile(file);
    const logger = capturingLogger().logger;
    const token = await rsa.sign({ sub: 'alice' });
    try {
      const strict = createJwtCallerResolver(jwtConfig({ jwksFile: file, algorithms: ['ES256'] }), {
        logger,
      });
      await assertUnauthenticated(strict.authenticate(bearer(token)), /algorithm/, token);
      const lenient = createJwtCallerResolver(jwtConfig({ jwksFile: file }), { logger });
      assert.equal((await lenient.authenticate(bearer(token))).subject, 'alice');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('groups come from the configured claim; non-string entries are ignored', async (t) => {
    const sso = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
    const file = await jwksFileOf(t, sso);
    const resolver = createJwtCallerResolver(jwtConfig({ jwksFile: file, groupsClaim: 'roles' }), {
      logger: capturingLogger().logger,
    });
    const token = await sso.sign({
      sub: 'alice',
      groups: ['secops'],
      roles: ['cert-admins', 7, { name: 'admins' }, null, 'cert-admins', 'line\nbreak'],
    });
    assert.deepEqual((await resolver.authenticate(bearer(token))).groups, ['cert-admins']);
  });

  test('the injected clock decides expiry', async (t) => {
    const sso = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
    const file = await jwksFileOf(t, sso);
    const token = await sso.sign({ sub: 'alice' }, { expiresIn: '5m' });
    const anHourLater = createJwtCallerResolver(jwtConfig({ jwksFile: file }), {
      logger: capturingLogger().logger,
      clock: () => Date.now() + 3_600_000,
    });
    await assertUnauthenticated(anHourLater.authenticate(bearer(token)), /expired/, token);
  });
});

describe('JWKS file', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rescind-jwks-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const logger = capturingLogger().logger;

  test('verifies tokens against the keys read at start', async () => {
    const sso = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE, algorithm: 'EdDSA' });
    const file = join(dir, 'ok.json');
    await sso.writeJwksFile(file);
    const resolver = createJwtCallerResolver(jwtConfig({ jwksFile: file }), { logger });
    assert.equal(
      (await resolver.authenticate(bearer(await sso.sign({ sub: 'carol' })))).subject,
      'carol',
    );
    const stranger = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
    const token = await stranger.sign({ sub: 'carol' }, { kid: sso.kid });
    await assertUnauthenticated(
      resolver.authenticate(bearer(token)),
      /algorithm|signature|key/,
      token,
    );
  });

  test('a missing, unparsable or non-JWKS file stops start-up naming the key', () => {
    writeFileSync(join(dir, 'garbage.json'), '{not json');
    writeFileSync(join(dir, 'empty.json'), '{"keys": []}');
    for (const [name, message] of [
      ['missing.json', /cannot be read/],
      ['garbage.json', /not valid JSON/],
      ['empty.json', /must be a JWKS/],
    ] as const) {
      assert.throws(
        () => createJwtCallerResolver(jwtConfig({ jwksFile: join(dir, name) }), { logger }),
        (error) =>
          error instanceof ConfigError &&
          error.problems[0]?.key === 'identity.jwt.jwksFile' &&
          message.test(error.message),
      );
    }
  });

  test('a file holding a private or symmetric key is refused', () => {
    const file = join(dir, 'private.json');
    writeFileSync(
      file,
      JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'shared', alg: 'HS256' }] }),
    );
    assert.throws(
      () => createJwtCallerResolver(jwtConfig({ jwksFile: file }), { logger }),
      /public keys only/,
    );
  });
});
