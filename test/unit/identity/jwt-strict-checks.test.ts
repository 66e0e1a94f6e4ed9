// Stricter JWTs, each a setting with a default: a required `typ`, `iat` in the future, a maximum
// token age, and `crit` entries the gateway does not accept (named in the refusal).

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

let sso: DevIssuer;
let dir: string;
let jwksFile: string;

before(async () => {
  sso = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
  dir = mkdtempSync(join(tmpdir(), 'rescind-jwt-strict-'));
  jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(sso.jwks));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function resolverWith(jwt: Record<string, unknown> = {}, clock?: () => number) {
  const config = configSchema.shape.identity.parse({
    mode: 'jwt',
    jwt: { issuer: ISSUER, audience: AUDIENCE, jwksFile, ...jwt },
  }).jwt;
  return createJwtCallerResolver(config, {
    logger: capturingLogger().logger,
    ...(clock === undefined ? {} : { clock }),
  });
}

describe('the defaults', () => {
  test('are documented values: no typ required, no age limit, future iat refused, no crit accepted', () => {
    const jwt = configSchema.shape.identity.parse({
      mode: 'jwt',
      jwt: { issuer: ISSUER, audience: AUDIENCE, jwksFile: 'jwks.json' },
    }).jwt;
    assert.equal(jwt.requiredType, undefined);
    assert.equal(jwt.maxTokenAgeSeconds, undefined);
    assert.equal(jwt.refuseFutureIat, true);
    assert.deepEqual(jwt.criticalHeaders, []);
  });
});

describe('iat in the future', () => {
  test('beyond the clock tolerance is refused by default', async () => {
    const token = await sso.sign({ sub: 'alice' }, { issuedAt: 3600, expiresIn: 7200 });
    await assertUnauthenticated(
      resolverWith().authenticate(bearer(token)),
      /"iat" claim is in the future/,
      token,
    );
  });

  test('within the tolerance is accepted', async () => {
    const token = await sso.sign({ sub: 'alice' }, { issuedAt: 20 });
    assert.equal((await resolverWith().authenticate(bearer(token))).subject, 'alice');
  });

  test('is accepted when refuseFutureIat is false', async () => {
    const token = await sso.sign({ sub: 'alice' }, { issuedAt: 3600, expiresIn: 7200 });
    const caller = await resolverWith({ refuseFutureIat: false }).authenticate(bearer(token));
    assert.equal(caller.subject, 'alice');
  });

  test('is refused with a maximum age too (jose checks it then)', async () => {
    const token = await sso.sign({ sub: 'alice' }, { issuedAt: 3600, expiresIn: 7200 });
    await assertUnauthenticated(
      resolverWith({ maxTokenAgeSeconds: 600 }).authenticate(bearer(token)),
      /"iat" claim is in the future/,
    );
  });
});

describe('required typ', () => {
  test('a token without the required typ is refused, one with it (any case, application/ prefix) accepted', async () => {
    const resolver = resolverWith({ requiredType: 'at+jwt' });
    const plain = await sso.sign({ sub: 'alice' });
    await assertUnauthenticated(resolver.authenticate(bearer(plain)), /"typ" header/);
    const missing = await sso.sign({ sub: 'alice' }, { header: { typ: undefined } });
    await assertUnauthenticated(resolver.authenticate(bearer(missing)), /"typ" header/);
    for (const typ of ['at+jwt', 'application/at+JWT']) {
      const token = await sso.sign({ sub: 'alice' }, { header: { typ } });
      assert.equal((await resolver.authenticate(bearer(token))).subject, 'alice', typ);
    }
  });

  test('any typ is accepted when none is required', async () => {
    const token = await sso.sign({ sub: 'alice' }, { header: { typ: 'something+jwt' } });
    assert.equal((await resolverWith().authenticate(bearer(token))).subject, 'alice');
  });
});

describe('maximum token age', () => {
  test('a token older than maxTokenAgeSeconds is refused though not expired, also when seen before', async () => {
    let now = Date.now();
    const resolver = resolverWith({ maxTokenAgeSeconds: 600, clockToleranceSeconds: 0 }, () => now);
    const token = await sso.sign({ sub: 'alice' }, { expiresIn: '1d' });
    assert.equal((await resolver.authenticate(bearer(token))).subject, 'alice');
    now += 601_000;
    await assertUnauthenticated(
      resolver.authenticate(bearer(token)),
      /older than this gateway accepts/,
      token,
    );
  });

  test('a token without iat is refused when a maximum age is set', async () => {
    const token = await sso.sign({ sub: 'alice', iat: undefined });
    await assertUnauthenticated(
      resolverWith({ maxTokenAgeSeconds: 600 }).authenticate(bearer(token)),
      /lacks the required "iat" claim/,
    );
  });

  test('has no limit by default', async () => {
    const token = await sso.sign({ sub: 'alice' }, { issuedAt: -30 * 86_400, expiresIn: '1d' });
    assert.equal((await resolverWith().authenticate(bearer(token))).subject, 'alice');
  });
});

describe('crit', () => {
  test('an unknown crit entry is refused with a message that names it', async () => {
    const token = await sso.sign(
      { sub: 'alice' },
      { header: { crit: ['urn-x-sso'], 'urn-x-sso': 1 } },
    );
    const problem = await assertUnauthenticated(
      resolverWith().authenticate(bearer(token)),
      /"crit" header lists "urn-x-sso"/,
      token,
    );
    assert.doesNotMatch(problem.detail ?? '', /algorithm/);
  });

  test('a crit entry that is no plain name is refused without repeating it', async () => {
    const odd = '<script>alert(1)</script>';
    const token = await sso.sign({ sub: 'alice' }, { header: { crit: [odd], [odd]: 1 } });
    const problem = await assertUnauthenticated(
      resolverWith().authenticate(bearer(token)),
      /"crit" header lists an extension this gateway does not accept/,
    );
    assert.ok(!(problem.detail ?? '').includes('script'));
  });

  test('an entry listed in criticalHeaders is accepted', async () => {
    const token = await sso.sign(
      { sub: 'alice' },
      { header: { crit: ['sso-hint'], 'sso-hint': 'x' } },
    );
    const resolver = resolverWith({ criticalHeaders: ['sso-hint'] });
    assert.equal((await resolver.authenticate(bearer(token))).subject, 'alice');
  });
});

describe('a malformed iat', () => {
  test('is refused as invalid, not as being in the future', async () => {
    const token = await sso.sign({ sub: 'alice', iat: 'yesterday' });
    const problem = await assertUnauthenticated(
      resolverWith({ maxTokenAgeSeconds: 600 }).authenticate(bearer(token)),
      /"iat" claim is invalid/,
    );
    assert.doesNotMatch(problem.detail ?? '', /future/);
  });
});
