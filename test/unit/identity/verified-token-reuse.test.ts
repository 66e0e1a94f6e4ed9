// The JWT resolver believes a token it verified a moment ago again without checking its
// signature (DEFAULT_VERIFIED_TOKEN_TTL_MS). Reuse must never accept what a fresh verification
// would refuse on the token's own terms: expiry and not-before hold on every use, refusals are
// never remembered, and each token answers for its own caller.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { configSchema } from '../../../src/config/schema.ts';
import { createDevIssuer, type DevIssuer } from '../../../src/demo/dev-issuer.ts';
import { createJwtCallerResolver } from '../../../src/identity/jwt-caller-resolver.ts';
import { assertUnauthenticated, bearer, capturingLogger } from './support.ts';

const ISSUER = 'https://sso.example.invalid';
const AUDIENCE = 'rescind';

describe('reuse of a verified JWT', () => {
  let dir: string;
  let jwksFile: string;
  let sso: DevIssuer;
  let now: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rescind-jwt-reuse-'));
    jwksFile = join(dir, 'jwks.json');
    now = Date.now();
    sso = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE, clock: () => now });
    writeFileSync(jwksFile, JSON.stringify(sso.jwks));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function resolverAt(clock: () => number, verifiedTokenTtlMs?: number) {
    const jwt = configSchema.shape.identity.parse({
      mode: 'jwt',
      jwt: { issuer: ISSUER, audience: AUDIENCE, jwksFile, clockToleranceSeconds: 30 },
    }).jwt;
    return createJwtCallerResolver(jwt, {
      logger: capturingLogger().logger,
      clock,
      ...(verifiedTokenTtlMs === undefined ? {} : { verifiedTokenTtlMs }),
    });
  }

  test('a token believed a moment ago is refused as expired once its exp has passed', async () => {
    let at = now;
    const resolver = resolverAt(() => at, 3_600_000);
    const token = await sso.sign({ sub: 'alice', groups: ['secops'] }, { expiresIn: 60 });
    assert.equal((await resolver.authenticate(bearer(token))).subject, 'alice');
    at = now + 89_000;
    assert.equal((await resolver.authenticate(bearer(token))).subject, 'alice');
    // exp + 30 s of tolerance is over, although the reuse window (an hour here) is not.
    at = now + 91_000;
    await assertUnauthenticated(resolver.authenticate(bearer(token)), /expired/, token);
  });

  test('a token that is not valid yet stays refused until its nbf, then is accepted', async () => {
    let at = now;
    const resolver = resolverAt(() => at);
    const token = await sso.sign({ sub: 'bob' }, { notBefore: 120, expiresIn: 600 });
    await assertUnauthenticated(resolver.authenticate(bearer(token)), /not valid yet/, token);
    await assertUnauthenticated(resolver.authenticate(bearer(token)), /not valid yet/, token);
    at = now + 95_000;
    assert.equal((await resolver.authenticate(bearer(token))).subject, 'bob');
  });

  test('each token answers for its own caller when several are reused in turn', async () => {
    const resolver = resolverAt(() => now);
    const alice = await sso.sign({ sub: 'alice', groups: ['secops'] });
    const bob = await sso.sign({ sub: 'bob', groups: ['auditors'], email: 'bob@example.com' });
    for (let round = 0; round < 3; round += 1) {
      assert.deepEqual(await resolver.authenticate(bearer(alice)), {
        subject: 'alice',
        groups: ['secops'],
        via: 'jwt',
      });
      assert.deepEqual(await resolver.authenticate(bearer(bob)), {
        subject: 'bob',
        email: 'bob@example.com',
        groups: ['auditors'],
        via: 'jwt',
      });
    }
  });

  test('a token with a forged signature is refused however often a valid twin was seen', async () => {
    const resolver = resolverAt(() => now);
    const token = await sso.sign({ sub: 'alice', groups: ['secops'] });
    assert.equal((await resolver.authenticate(bearer(token))).subject, 'alice');
    const [header, payload] = token.split('.');
    const forged = `${header ?? ''}.${payload ?? ''}.${'A'.repeat(86)}`;
    await assertUnauthenticated(resolver.authenticate(bearer(forged)), /signature/, forged);
  });
});
