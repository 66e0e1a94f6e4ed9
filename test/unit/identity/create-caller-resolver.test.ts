import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import request from 'supertest';
import type { AuditTrail } from '../../../src/audit/audit-trail.ts';
import { configSchema } from '../../../src/config/schema.ts';
import { createErrorHandler } from '../../../src/http/error-handler.ts';
import { createRequestScope } from '../../../src/http/create-request-scope.ts';
import { scopeOf } from '../../../src/http/request-scope.ts';
import { authenticate } from '../../../src/http/revocation-pipeline.ts';
import type { CallerResolver } from '../../../src/identity/caller.ts';
import { createCallerResolver } from '../../../src/identity/create-caller-resolver.ts';
import { createDevIssuer, type DevIssuer } from '../../../src/demo/dev-issuer.ts';
import { capturingLogger, evidenceOf } from './support.ts';

const ISSUER = 'https://sso.example.invalid';
const AUDIENCE = 'rescind';

const failingAudit: AuditTrail = {
  recordAttempt: () => Promise.reject(new Error('no operation is bound on this route')),
  recordOutcome: () => Promise.reject(new Error('no operation is bound on this route')),
  readiness: () => ({ ready: true, reasons: [] }),
  close: () => Promise.resolve(),
};

function appWith(resolver: CallerResolver) {
  const app = express();
  app.use(createRequestScope(capturingLogger().logger));
  app.get('/whoami', authenticate(resolver), (_req, res) => {
    res.json(scopeOf(res).caller);
  });
  app.use(createErrorHandler(failingAudit));
  return app;
}

describe('createCallerResolver', () => {
  let dir: string;
  let sso: DevIssuer;
  let jwksFile: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rescind-identity-'));
    sso = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
    jwksFile = join(dir, 'jwks.json');
    await sso.writeJwksFile(jwksFile);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('jwt is the default mode', () => {
    const identity = configSchema.shape.identity.parse({
      jwt: { issuer: ISSUER, audience: AUDIENCE, jwksFile },
    });
    const resolver = createCallerResolver(identity, { logger: capturingLogger().logger });
    assert.equal(resolver.mode, 'jwt');
  });

  test('trusted-headers mode ignores a valid JWT and believes only the proxy', async () => {
    const identity = configSchema.shape.identity.parse({
      mode: 'trusted-headers',
      trustedProxies: ['10.0.0.0/8'],
    });
    const resolver = createCallerResolver(identity, { logger: capturingLogger().logger });
    assert.equal(resolver.mode, 'trusted-headers');
    const token = await sso.sign({ sub: 'alice' });
    await assert.rejects(
      resolver.authenticate(evidenceOf([['Authorization', `Bearer ${token}`]], '10.1.1.1')),
      { code: 'UNAUTHENTICATED', detail: 'The trusted proxy sent no X-Forwarded-User.' },
    );
  });

  describe('through the authenticate step and the error handler', () => {
    let app: express.Express;
    before(() => {
      const identity = configSchema.shape.identity.parse({
        jwt: { issuer: ISSUER, audience: AUDIENCE, jwksFile, groupsClaim: 'roles' },
      });
      app = appWith(createCallerResolver(identity, { logger: capturingLogger().logger }));
    });

    test('a valid token reaches the handler as the caller', async () => {
      const token = await sso.sign({ sub: 'alice', roles: ['secops'], email: 'a@example.com' });
      const res = await request(app).get('/whoami').set('Authorization', `Bearer ${token}`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, {
        subject: 'alice',
        email: 'a@example.com',
        groups: ['secops'],
        via: 'jwt',
      });
    });

    test('no credentials: 401 problem+json with a Bearer challenge', async () => {
      const res = await request(app).get('/whoami');
      assert.equal(res.status, 401);
      assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/);
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="rescind"');
      const body = JSON.parse(res.text) as { code: string; requestId: string };
      assert.equal(body.code, 'UNAUTHENTICATED');
      assert.equal(body.requestId, res.headers['x-request-id']);
    });

    test('an expired token: 401 invalid_token that never echoes the token', async () => {
      const token = await sso.sign({ sub: 'alice' }, { expiresIn: '-1h' });
      const res = await request(app).get('/whoami').set('Authorization', `Bearer ${token}`);
      assert.equal(res.status, 401);
      assert.equal(
        res.headers['www-authenticate'],
        'Bearer realm="rescind", error="invalid_token"',
      );
      assert.match(res.text, /expired/);
      for (const part of token.split('.')) assert.ok(!res.text.includes(part));
    });
  });
});

describe('createDevIssuer', () => {
  for (const algorithm of ['ES256', 'EdDSA', 'RS256'] as const) {
    test(`${algorithm}: publishes one public key with its kid and signs with it`, async () => {
      const sso = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE, algorithm });
      assert.equal(sso.jwks.keys.length, 1);
      const key = sso.jwks.keys[0]!;
      assert.equal(key.kid, sso.kid);
      assert.equal(key.alg, algorithm);
      assert.equal(key.d, undefined, 'the JWKS holds a private key');
      const token = await sso.sign({ sub: 'alice' });
      const header: unknown = JSON.parse(
        Buffer.from(token.split('.')[0] ?? '', 'base64url').toString(),
      );
      assert.deepEqual(header, { alg: algorithm, typ: 'JWT', kid: sso.kid });
    });
  }

  test('sign sets iss, aud, iat and exp from the clock, and nbf when asked', async () => {
    const now = 1_700_000_000_000;
    const sso = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE, clock: () => now });
    const token = await sso.sign(
      { sub: 'alice', groups: ['g'] },
      { expiresIn: '2h', notBefore: 30 },
    );
    const payload: unknown = JSON.parse(
      Buffer.from(token.split('.')[1] ?? '', 'base64url').toString(),
    );
    assert.deepEqual(payload, {
      iss: ISSUER,
      aud: AUDIENCE,
      iat: now / 1000,
      exp: now / 1000 + 7200,
      nbf: now / 1000 + 30,
      sub: 'alice',
      groups: ['g'],
    });
  });

  test('refuses a duration it cannot read', async () => {
    const sso = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
    await assert.rejects(sso.sign({ sub: 'a' }, { expiresIn: 'soon' }), /not a duration/);
  });
});
