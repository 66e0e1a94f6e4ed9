// Who may call, through the whole gateway. Every hostile token is refused with 401 and
// audited, the policy table holds over HTTP, trusted headers count only from trusted peers and
// only when set once, and a request failing several checks gets the first answer (401 → 429 →
// 400 → 403, as the README documents). No refused request reaches the simulator, not even IAM.

import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { createDevIssuer } from '../../src/demo/dev-issuer.ts';
import { AUDIENCE, ISSUER, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { suiteScoped } from '../helpers/suite-scoped.ts';
import {
  assertNothingInternal,
  assertProblem,
  auditOutcomeRecordOf,
  call,
  createTarget,
  rawRequest,
  rawSocketRequest,
  type Answer,
  type Reader,
  type Target,
  type OperationName,
} from './support-faults-http.ts';

const b64url = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function validClaims(): Record<string, unknown> {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'alice',
    groups: ['secops'],
    iat: nowSeconds(),
    exp: nowSeconds() + 300,
  };
}

function gatewayKey(gw: TestGateway): JWK {
  const jwks = JSON.parse(readFileSync(join(gw.dir, 'jwks.json'), 'utf8')) as { keys: JWK[] };
  const key = jwks.keys[0];
  assert.ok(key !== undefined);
  return key;
}

interface HostileCase {
  readonly title: string;
  /** The whole Authorization header, or several of them, or none (undefined). */
  build(gw: TestGateway): Promise<string | string[] | undefined>;
}

// Everything a caller might try instead of a valid SSO token for a `secops` member.
const HOSTILE: readonly HostileCase[] = [
  {
    title: 'no Authorization header',
    build: () => Promise.resolve(undefined),
  },
  {
    title: 'an expired token',
    build: async (gw) =>
      `Bearer ${await gw.sign({ sub: 'alice', groups: ['secops'] }, { expiresIn: -300 })}`,
  },
  {
    title: 'a token not valid yet',
    build: async (gw) =>
      `Bearer ${await gw.sign({ sub: 'alice', groups: ['secops'] }, { notBefore: 600, expiresIn: 900 })}`,
  },
  {
    title: 'a token without exp',
    build: async (gw) =>
      `Bearer ${await gw.sign({ sub: 'alice', groups: ['secops'], exp: undefined })}`,
  },
  {
    title: 'a token from another issuer',
    build: async (gw) =>
      `Bearer ${await gw.sign({ sub: 'alice', groups: ['secops'], iss: 'https://evil.invalid' })}`,
  },
  {
    title: 'a token for another audience',
    build: async (gw) =>
      `Bearer ${await gw.sign({ sub: 'alice', groups: ['secops'], aud: 'some-other-service' })}`,
  },
  {
    title: 'alg "none" with an empty signature',
    build: (gw) =>
      Promise.resolve(
        `Bearer ${b64url({ alg: 'none', typ: 'JWT', kid: gatewayKey(gw).kid })}.${b64url(validClaims())}.`,
      ),
  },
  {
    title: 'alg "none" with a signature part',
    build: (gw) =>
      Promise.resolve(
        `Bearer ${b64url({ alg: 'none', typ: 'JWT', kid: gatewayKey(gw).kid })}.${b64url(validClaims())}.${b64url('sig')}`,
      ),
  },
  {
    title: 'HS256 signed with the public key (PEM) as the secret',
    build: async (gw) => {
      const jwk = gatewayKey(gw);
      const pem = createPublicKey({ key: jwk, format: 'jwk' })
        .export({ type: 'spki', format: 'pem' })
        .toString();
      const token = await new SignJWT(validClaims())
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...(jwk.kid ? { kid: jwk.kid } : {}) })
        .sign(new TextEncoder().encode(pem));
      return `Bearer ${token}`;
    },
  },
  {
    title: 'HS256 signed with the public JWK as the secret',
    build: async (gw) => {
      const jwk = gatewayKey(gw);
      const token = await new SignJWT(validClaims())
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...(jwk.kid ? { kid: jwk.kid } : {}) })
        .sign(new TextEncoder().encode(JSON.stringify(jwk)));
      return `Bearer ${token}`;
    },
  },
  {
    title: 'a token naming an unknown kid',
    build: async (gw) =>
      `Bearer ${await gw.sign({ sub: 'alice', groups: ['secops'] }, { kid: 'no-such-key' })}`,
  },
  {
    title: 'a token signed by another key under the real kid',
    build: async (gw) => {
      const forger = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
      const kid = gatewayKey(gw).kid;
      return `Bearer ${await forger.sign({ sub: 'alice', groups: ['secops'] }, kid === undefined ? {} : { kid })}`;
    },
  },
  {
    title: 'a token carrying its own signing key in the header (jwk)',
    build: async () => {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const token = await new SignJWT(validClaims())
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', jwk: await exportJWK(publicKey) })
        .sign(privateKey);
      return `Bearer ${token}`;
    },
  },
  {
    title: 'a token pointing at an attacker’s key set (jku)',
    build: async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const token = await new SignJWT(validClaims())
        .setProtectedHeader({
          alg: 'ES256',
          typ: 'JWT',
          kid: 'attacker',
          jku: 'https://attacker.invalid/jwks.json',
        })
        .sign(privateKey);
      return `Bearer ${token}`;
    },
  },
  {
    title: 'a valid signature over a payload swapped for a privileged one',
    build: async (gw) => {
      const [header, , signature] = (await gw.sign({ sub: 'nobody', groups: [] })).split('.');
      return `Bearer ${header ?? ''}.${b64url(validClaims())}.${signature ?? ''}`;
    },
  },
  {
    title: 'a token with one signature character changed',
    build: async (gw) => {
      const token = await gw.sign({ sub: 'alice', groups: ['secops'] });
      const at = token.lastIndexOf('.') + 10;
      const flipped = token[at] === 'A' ? 'B' : 'A';
      return `Bearer ${token.slice(0, at)}${flipped}${token.slice(at + 1)}`;
    },
  },
  {
    title: 'a token with an unusable subject',
    build: async (gw) => `Bearer ${await gw.sign({ sub: ' alice', groups: ['secops'] })}`,
  },
  {
    title: 'a malformed bearer token',
    build: () => Promise.resolve('Bearer not-a-jwt'),
  },
  {
    title: 'a bearer token of three segments that are not JSON',
    build: () => Promise.resolve('Bearer abc.def.ghi'),
  },
  {
    title: 'the Basic scheme',
    build: () => Promise.resolve(`Basic ${Buffer.from('alice:secret').toString('base64')}`),
  },
  {
    title: 'two Authorization headers, one of them valid',
    build: async (gw) => [`Bearer ${await gw.token('alice')}`, 'Bearer not-a-jwt'],
  },
];

describe('callers', { concurrency: true }, () => {
  describe('hostile tokens', { concurrency: 1 }, () => {
    let gw: TestGateway;
    let target: Target;

    before(async () => {
      gw = await startGateway();
      target = createTarget(gw.sim, 'kms.revokeGrant');
    });
    after(async () => {
      await gw.close();
    });
    beforeEach(() => {
      gw.sim.clearCalls();
    });

    for (const hostile of HOSTILE) {
      it(`answers 401 to ${hostile.title}, audits it and calls nothing`, async () => {
        const authorization = await hostile.build(gw);
        const answer = await rawRequest(
          gw,
          target.path,
          authorization === undefined ? {} : { authorization },
        );

        assertProblem(answer, 401, 'UNAUTHENTICATED');
        assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer realm="rescind"/);
        const secrets = [authorization ?? []]
          .flat()
          .flatMap((value) => [value, value.split('.').at(-1) ?? ''])
          .filter((value) => value.length >= 8);
        assertNothingInternal(gw, answer.text, secrets);
        assert.deepEqual(gw.sim.calls(), [], 'not even IAM is called');
        assert.equal(target.exists(), true);

        const record = await auditOutcomeRecordOf(gw, answer.requestId);
        assert.equal(answer.body.auditId, record.id);
        assert.equal(record.operation, 'kms.revokeGrant');
        assert.deepEqual(record.actor, { subject: null, email: null, groups: [], via: null });
        assert.equal(record.outcome.result, 'unauthenticated');
        assert.equal(record.outcome.status, 401);
        assert.equal(record.outcome.code, 'UNAUTHENTICATED');
        assert.equal(record.outcome.attempts, 0);
      });
    }

    it('accepts the same route with a valid token (the cases above are refused for their flaw)', async () => {
      const answer = await call(gw, target.path, { token: await gw.token('alice') });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(target.exists(), false);
    });

    it('ignores identity headers in jwt mode: 401 from loopback with X-Forwarded-User', async () => {
      const answer = await rawRequest(gw, createTarget(gw.sim, 'kms.revokeGrant').path, {
        'x-forwarded-user': 'alice',
        'x-forwarded-groups': 'secops',
      });
      assertProblem(answer, 401, 'UNAUTHENTICATED');
      assert.deepEqual(gw.sim.calls(), []);
    });
  });

  describe('the policy over HTTP', { concurrency: 1 }, () => {
    const rules = [
      { subjects: ['svc-kms'], allow: ['kms.revokeGrant'] },
      { groups: ['cert-team'], allow: ['scm.*'] },
      { subjects: ['root-like'], allow: ['*'] },
      { subjects: ['ma-one'], allow: ['modelarts.deleteAuthorization'] },
      { subjects: ['ma-all'], allow: ['modelarts.deleteAllAuthorizations'] },
      { groups: ['ma-team'], allow: ['modelarts.*'] },
      { subjects: ['auditor'], allow: ['audit.read'] },
    ];
    const gw = suiteScoped(() => startGateway({ config: { authorization: { rules } } }));
    beforeEach(() => {
      gw.sim.clearCalls();
    });

    type Route = OperationName;
    const pathOf = (route: Route): string => createTarget(gw.sim, route).path;

    const rows: readonly {
      subject: string;
      groups: string[];
      route: Route;
      allowed: boolean;
      why: string;
    }[] = [
      {
        subject: 'svc-kms',
        groups: [],
        route: 'kms.revokeGrant',
        allowed: true,
        why: 'by subject',
      },
      {
        subject: 'svc-kms',
        groups: [],
        route: 'apig.deleteCertificate',
        allowed: false,
        why: 'another operation',
      },
      {
        subject: 'bob',
        groups: ['cert-team'],
        route: 'scm.revokePrivacy',
        allowed: true,
        why: 'scm.*',
      },
      {
        subject: 'bob',
        groups: ['cert-team'],
        route: 'scm.deleteCsr',
        allowed: true,
        why: 'scm.*',
      },
      {
        subject: 'bob',
        groups: ['cert-team'],
        route: 'apig.deleteCertificate',
        allowed: false,
        why: 'not scm',
      },
      {
        subject: 'cert-team',
        groups: [],
        route: 'scm.revokePrivacy',
        allowed: false,
        why: 'a subject named like a group is not the group',
      },
      {
        subject: 'mallory',
        groups: ['svc-kms'],
        route: 'kms.revokeGrant',
        allowed: false,
        why: 'a group named like a subject is not the subject',
      },
      {
        subject: 'root-like',
        groups: [],
        route: 'apig.deleteCertificate',
        allowed: true,
        why: '*',
      },
      {
        subject: 'root-like',
        groups: [],
        route: 'modelarts.deleteAllAuthorizations',
        allowed: true,
        why: '*',
      },
      {
        subject: 'nobody',
        groups: [],
        route: 'kms.revokeGrant',
        allowed: false,
        why: 'deny by default',
      },
      {
        subject: 'nobody',
        groups: ['secops'],
        route: 'kms.revokeGrant',
        allowed: false,
        why: 'no rule',
      },
      {
        subject: 'ma-one',
        groups: [],
        route: 'modelarts.deleteAuthorization',
        allowed: true,
        why: 'by name',
      },
      {
        subject: 'ma-one',
        groups: [],
        route: 'modelarts.deleteAllAuthorizations',
        allowed: false,
        why: 'one user’s permission does not allow all users',
      },
      {
        subject: 'ma-all',
        groups: [],
        route: 'modelarts.deleteAllAuthorizations',
        allowed: true,
        why: 'by name',
      },
      {
        subject: 'ma-all',
        groups: [],
        route: 'modelarts.deleteAuthorization',
        allowed: false,
        why: 'only all',
      },
      {
        subject: 'eve',
        groups: ['ma-team'],
        route: 'modelarts.deleteAllAuthorizations',
        allowed: true,
        why: 'prefix',
      },
      {
        subject: 'auditor',
        groups: [],
        route: 'kms.revokeGrant',
        allowed: false,
        why: 'audit.read only',
      },
    ];

    for (const row of rows) {
      const groups = row.groups.length > 0 ? ` (groups ${row.groups.join(',')})` : '';
      it(`${row.allowed ? 'allows' : 'denies'} ${row.subject}${groups} ${row.route}: ${row.why}`, async () => {
        const token = await gw.token(row.subject, row.groups);
        const answer = await call(gw, pathOf(row.route), { token });
        const record = await auditOutcomeRecordOf(gw, answer.requestId);
        assert.equal(record.actor.subject, row.subject);
        if (row.allowed) {
          assert.equal(answer.status, 200, answer.text);
          assert.equal(record.outcome.result, 'revoked');
          assert.ok(gw.sim.calls().length > 0);
          return;
        }
        assertProblem(answer, 403, 'FORBIDDEN');
        assertNothingInternal(gw, answer.text, [token]);
        assert.equal(record.outcome.result, 'denied');
        assert.equal(record.outcome.status, 403);
        assert.equal(record.outcome.code, 'FORBIDDEN');
        assert.equal(record.outcome.attempts, 0);
        assert.deepEqual(gw.sim.calls(), [], 'a denied request calls nothing');
      });
    }

    it('guards GET /v1/audit with audit.read: 401 without a token, 403 without it, 200 with it', async () => {
      const anonymous = await call(gw, '/v1/audit', { method: 'GET' });
      assertProblem(anonymous, 401, 'UNAUTHENTICATED', { audited: false });
      assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer /);

      const denied = await call(gw, '/v1/audit', {
        method: 'GET',
        token: await gw.token('svc-kms', []),
      });
      assertProblem(denied, 403, 'FORBIDDEN', { audited: false });
      assert.equal(denied.body.items, undefined);

      for (const reader of [
        { subject: 'auditor', groups: [] },
        { subject: 'root-like', groups: [] },
      ] satisfies Reader[]) {
        const allowed = await call(gw, '/v1/audit', {
          method: 'GET',
          token: await gw.token(reader.subject, reader.groups),
        });
        assert.equal(allowed.status, 200, allowed.text);
        assert.ok(Array.isArray(allowed.body.items));
      }
    });
  });

  describe('the order of checks: 401, then 429, then 400, then 403', { concurrency: 1 }, () => {
    let gw: TestGateway;
    const BAD_KMS = '/v1/kms/keys/not-a-key/grants/not-a-grant';

    before(async () => {
      gw = await startGateway({ config: { rateLimit: { perCaller: 2, windowSeconds: 60 } } });
    });
    after(async () => {
      await gw.close();
    });
    beforeEach(() => {
      gw.sim.clearCalls();
    });

    let readers = 0;
    async function outcomeOf(answer: Answer) {
      // Readers have the same limit of 2: each read is made by a reader of its own.
      readers += 1;
      const reader = { subject: `reader-${String(readers)}`, groups: ['secops'] };
      return (await auditOutcomeRecordOf(gw, answer.requestId, reader)).outcome;
    }

    it('answers 401 to an unauthenticated request with invalid parameters and project', async () => {
      const answer = await call(gw, `${BAD_KMS}?project=nowhere`, {
        headers: { authorization: 'Bearer not-a-jwt' },
      });
      assertProblem(answer, 401, 'UNAUTHENTICATED');
      assert.equal(answer.body.errors, undefined, 'nothing about the parameters is revealed');
      assert.equal((await outcomeOf(answer)).result, 'unauthenticated');
      assert.deepEqual(gw.sim.calls(), []);
    });

    it('answers 400 to an authenticated, unauthorized caller with invalid parameters', async () => {
      // kms-only may not delete APIG certificates, and this id is not valid either.
      const token = await gw.token('kms-only', []);
      const answer = await call(gw, '/v1/apig/certificates/bad%20id!', { token });
      assertProblem(answer, 400, 'INVALID_REQUEST');
      assert.deepEqual(
        (answer.body.errors as { field: string }[]).map((error) => error.field),
        ['certificateId'],
      );
      assert.equal((await outcomeOf(answer)).result, 'invalid');
      assert.deepEqual(gw.sim.calls(), []);
    });

    it('answers 429 to an authenticated caller over its limit, even with invalid parameters', async () => {
      // The limiter counts every authenticated request, the invalid ones included.
      const token = await gw.token('flooder', []);
      for (let i = 0; i < 2; i += 1) {
        assertProblem(await call(gw, BAD_KMS, { token }), 400, 'INVALID_REQUEST');
      }
      const answer = await call(gw, `${BAD_KMS}?project=nowhere`, { token });
      assertProblem(answer, 429, 'RATE_LIMITED');
      assert.match(answer.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
      assert.equal(answer.body.errors, undefined);
      assert.equal((await outcomeOf(answer)).result, 'rate-limited');
      assert.deepEqual(gw.sim.calls(), []);
    });

    it('answers 403 to an authenticated caller with valid parameters it may not use', async () => {
      const token = await gw.token('kms-only', []);
      const answer = await call(gw, createTarget(gw.sim, 'apig.deleteCertificate').path, { token });
      assertProblem(answer, 403, 'FORBIDDEN');
      assert.equal((await outcomeOf(answer)).result, 'denied');
      assert.deepEqual(gw.sim.calls(), []);
    });
  });

  describe('trusted headers', { concurrency: 1 }, () => {
    let trusting: TestGateway;
    let distrusting: TestGateway;
    const identity = {
      'x-forwarded-user': 'alice',
      'x-forwarded-email': 'alice@example.invalid',
      'x-forwarded-groups': 'readers,secops',
    };
    const auditorHeaders = { 'x-forwarded-user': 'auditor' };

    before(async () => {
      trusting = await startGateway({
        env: { RESCIND_IDENTITY_MODE: 'trusted-headers', RESCIND_TRUSTED_PROXIES: '127.0.0.1/32' },
      });
      distrusting = await startGateway({
        env: { RESCIND_IDENTITY_MODE: 'trusted-headers', RESCIND_TRUSTED_PROXIES: '10.0.0.0/8' },
      });
    });
    after(async () => {
      await trusting.close();
      await distrusting.close();
    });
    beforeEach(() => {
      trusting.sim.clearCalls();
      distrusting.sim.clearCalls();
    });

    async function outcomeRecord(gw: TestGateway, requestId: string) {
      const answer = await rawRequest(
        gw,
        `/v1/audit?requestId=${encodeURIComponent(requestId)}`,
        auditorHeaders,
        'GET',
      );
      assert.equal(answer.status, 200, answer.text);
      const items = answer.body.items as { phase: string; actor: unknown; outcome?: unknown }[];
      const outcome = items.find((item) => item.phase === 'outcome');
      assert.ok(outcome !== undefined);
      return outcome as { actor: unknown; outcome: { result: string; code: string | null } };
    }

    it('believes the identity headers from a trusted peer', async () => {
      const target = createTarget(trusting.sim, 'kms.revokeGrant');
      const answer = await rawRequest(trusting, target.path, identity);
      assert.equal(answer.status, 200, answer.text);
      assert.equal(target.exists(), false);
      const record = await outcomeRecord(trusting, answer.requestId);
      assert.deepEqual(record.actor, {
        subject: 'alice',
        email: 'alice@example.invalid',
        groups: ['readers', 'secops'],
        via: 'trusted-headers',
      });
      assert.equal(record.outcome.result, 'revoked');
    });

    it('answers 401 to the same headers from a peer outside the trusted CIDRs', async () => {
      const target = createTarget(distrusting.sim, 'kms.revokeGrant');
      const answer = await rawRequest(distrusting, target.path, identity);
      assertProblem(answer, 401, 'UNAUTHENTICATED');
      assert.deepEqual(distrusting.sim.calls(), []);
      assert.equal(target.exists(), true);
      // The audit API is closed to this peer as well, so the trail is read directly.
      const audit = await rawRequest(distrusting, '/v1/audit', auditorHeaders, 'GET');
      assertProblem(audit, 401, 'UNAUTHENTICATED', { audited: false });
      const { items } = await distrusting.composition.auditTrail.reader.page({
        requestId: answer.requestId,
      });
      assert.deepEqual(
        items.map((item) => [item.phase, item.outcome?.result, item.actor.subject]),
        [['outcome', 'unauthenticated', null]],
      );
    });

    for (const header of ['x-forwarded-groups', 'x-forwarded-user'] as const) {
      it(`answers 401 when ${header} arrives twice, even from a trusted peer`, async () => {
        const target = createTarget(trusting.sim, 'kms.revokeGrant');
        const twice =
          header === 'x-forwarded-groups'
            ? { ...identity, 'x-forwarded-user': 'bob', [header]: ['readers', 'secops'] }
            : { ...identity, [header]: ['bob', 'alice'] };
        const answer = await rawRequest(trusting, target.path, twice);
        assertProblem(answer, 401, 'UNAUTHENTICATED');
        assert.deepEqual(trusting.sim.calls(), []);
        assert.equal(target.exists(), true);
        const record = await outcomeRecord(trusting, answer.requestId);
        assert.equal(record.outcome.result, 'unauthenticated');
      });
    }

    it('answers 401 when X-Forwarded-Groups arrives twice in different spellings', async () => {
      const target = createTarget(trusting.sim, 'kms.revokeGrant');
      const answer = await rawSocketRequest(trusting, [
        `DELETE ${target.path} HTTP/1.1`,
        `Host: ${new URL(trusting.url).host}`,
        'X-Forwarded-User: bob',
        'X-Forwarded-Groups: readers',
        'x-forwarded-groups: secops',
      ]);
      assert.equal(answer.status, 401);
      assert.equal(answer.body.code, 'UNAUTHENTICATED');
      assert.deepEqual(trusting.sim.calls(), []);
      assert.equal(target.exists(), true);
    });

    it('never lets a client-sent Authorization add privileges in trusted-headers mode', async () => {
      const jwt = await trusting.token('alice', ['secops']);
      const target = createTarget(trusting.sim, 'kms.revokeGrant');

      const onlyJwt = await rawRequest(trusting, target.path, { authorization: `Bearer ${jwt}` });
      assertProblem(onlyJwt, 401, 'UNAUTHENTICATED');

      const unprivileged = await rawRequest(trusting, target.path, {
        'x-forwarded-user': 'bob',
        'x-forwarded-groups': 'readers',
        authorization: `Bearer ${jwt}`,
      });
      assertProblem(unprivileged, 403, 'FORBIDDEN');
      assertNothingInternal(trusting, unprivileged.text, [jwt]);
      const record = await outcomeRecord(trusting, unprivileged.requestId);
      assert.deepEqual(record.actor, {
        subject: 'bob',
        email: null,
        groups: ['readers'],
        via: 'trusted-headers',
      });
      assert.equal(record.outcome.result, 'denied');
      assert.deepEqual(trusting.sim.calls(), []);
      assert.equal(target.exists(), true);
    });

    it('answers 401 to a trusted peer that sends no X-Forwarded-User', async () => {
      const answer = await rawRequest(
        trusting,
        createTarget(trusting.sim, 'kms.revokeGrant').path,
        {
          'x-forwarded-groups': 'secops',
        },
      );
      assertProblem(answer, 401, 'UNAUTHENTICATED');
      assert.deepEqual(trusting.sim.calls(), []);
    });
  });
});
