// "Never log, return or audit a password, token or Authorization header. A test proves it."
// One gateway runs a mixed workload with canary values — a unique IAM password, the real IAM
// tokens the simulator issued, the callers' JWTs and the literal Authorization values — with
// logging at `trace`, through successes, refusals, cloud faults, token replays and IAM failures.
// Then everything the process wrote is searched: every response (body and headers), the log,
// the SQLite audit file and its WAL as bytes (while running and after close), the audit export,
// the checkpoints file and /metrics. Each search first proves it can find a canary where one
// does belong, so a broken search cannot pass.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { DEMO_ACCESS_KEY, DEMO_ACCOUNT } from '../../src/simulator/index.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { startModeGateway, type ModeGateway } from './support-credentials.ts';
import {
  call,
  createTarget,
  issuedTokens,
  rawRequest,
  type Answer,
  type OperationName,
  FIXTURE_OPERATIONS,
} from './support-faults-http.ts';

const run = promisify(execFile);

const PASSWORD = `canary-pw-${randomUUID()}`;
const GARBAGE_BEARER = `canary-bearer-${randomBytes(16).toString('hex')}`;
const BASIC_SECRET = `canary-basic-${randomBytes(16).toString('hex')}`;

interface Canary {
  readonly name: string;
  readonly value: string;
}

/**
 * A long secret (an IAM token, a JWT) also betrays itself in part: cut short, only its end, one
 * segment. Every run of at least FRAGMENT × 2 characters of it contains one of its FRAGMENT-long
 * chunks at a multiple of FRAGMENT, so looking for those chunks finds any such run, wherever it
 * starts.
 */
const FRAGMENT = 32;
const RUN = new RegExp(`[A-Za-z0-9_-]{${String(FRAGMENT)},}`, 'g');

interface Canaries {
  /** Searched for whole. */
  readonly exact: readonly Canary[];
  /** Aligned chunk → the name of the long secret it comes from. */
  readonly chunks: ReadonlyMap<string, string>;
}

function buildCanaries(exact: readonly Canary[], long: readonly Canary[]): Canaries {
  const chunks = new Map<string, string>();
  for (const secret of long) {
    for (let at = 0; at + FRAGMENT <= secret.value.length; at += FRAGMENT) {
      const chunk = secret.value.slice(at, at + FRAGMENT);
      // A chunk across a JWT's dots can never be found in a run; it is simply never hit.
      chunks.set(chunk, secret.name);
    }
  }
  return { exact: [...exact, ...long], chunks };
}

/** The names of the canaries that occur, whole or as a run of 64+ characters, in `haystack`. */
function leaksIn(haystack: string | Buffer, canaries: Canaries): string[] {
  const bytes = typeof haystack === 'string' ? Buffer.from(haystack, 'utf8') : haystack;
  const found = new Set(
    canaries.exact
      .filter((canary) => bytes.includes(Buffer.from(canary.value, 'utf8')))
      .map((canary) => canary.name),
  );
  // Canary characters are ASCII, so latin1 keeps their positions in binary files too.
  for (const run of bytes.toString('latin1').matchAll(RUN)) {
    const text = run[0];
    for (let at = 0; at + FRAGMENT <= text.length; at += 1) {
      const name = canaries.chunks.get(text.slice(at, at + FRAGMENT));
      if (name !== undefined) found.add(`${name} (part)`);
    }
  }
  return [...found].sort();
}

function serialize(answer: Answer): string {
  const headers = [...answer.headers.entries()].map(([name, value]) => `${name}: ${value}`);
  return `${String(answer.status)}\n${headers.join('\n')}\n\n${answer.text}`;
}

const FAST_UPSTREAM = {
  attemptTimeoutMs: 300,
  deadlineMs: 4000,
  retries: 1,
  backoffBaseMs: 1,
  backoffMaxMs: 10,
};

describe('no password, token or Authorization value leaves the process', { concurrency: 1 }, () => {
  let gw: TestGateway;
  let dir: string;
  let auditPath: string;
  let signingKeySeed: string;
  const answers: Answer[] = [];
  const authorizations: string[] = [];
  const jwts: string[] = [];
  let canaries: Canaries = buildCanaries([], []);
  let closed = false;

  const send = async (path: string, authorization?: string | string[], method = 'DELETE') => {
    if (authorization !== undefined) authorizations.push(...[authorization].flat());
    const answer = await rawRequest(
      gw,
      path,
      authorization === undefined ? {} : { authorization },
      method,
    );
    answers.push(answer);
    return answer;
  };
  const jwt = async (subject: string, groups: string[], claims: Record<string, unknown> = {}) => {
    const token = await gw.sign({ sub: subject, groups, ...claims });
    jwts.push(token);
    return token;
  };
  const target = (kind: OperationName) => createTarget(gw.sim, kind).path;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rescind-leaks-'));
    auditPath = join(dir, 'audit.db');
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    // The key's last characters are its seed; the rest is the same for every Ed25519 key.
    signingKeySeed = pem.replace(/-----[^-]+-----|\s/g, '').slice(-40);

    gw = await startGateway({
      simulator: { accounts: [{ ...DEMO_ACCOUNT, password: PASSWORD }] },
      env: {
        RESCIND_IAM_PASSWORD: PASSWORD,
        RESCIND_AUDIT_SQLITE_PATH: auditPath,
        RESCIND_AUDIT_CHECKPOINT_KEY: pem,
      },
      config: {
        upstream: FAST_UPSTREAM,
        audit: { checkpoints: { everyRecords: 5, intervalSeconds: 1 } },
      },
      logLevel: 'trace',
    });

    const alice = await jwt('alice', ['secops']);
    const bearer = `Bearer ${alice}`;

    // Successes on every route.
    for (const kind of FIXTURE_OPERATIONS) {
      assert.equal((await send(target(kind), bearer)).status, 200);
    }

    // Callers that are refused: 401s with bad credentials, 403, 400, a token in the query.
    const expired = await gw.sign({ sub: 'alice', groups: ['secops'] }, { expiresIn: -600 });
    jwts.push(expired);
    const otherAudience = await jwt('alice', ['secops'], { aud: 'another-service' });
    const [header, payload] = alice.split('.');
    const tampered = `${header ?? ''}.${payload ?? ''}.${randomBytes(64).toString('base64url')}`;
    jwts.push(tampered);
    for (const authorization of [
      `Bearer ${expired}`,
      `Bearer ${otherAudience}`,
      `Bearer ${tampered}`,
      `Bearer ${GARBAGE_BEARER}`,
      `Basic ${Buffer.from(`alice:${BASIC_SECRET}`).toString('base64')}`,
      [bearer, `Bearer ${GARBAGE_BEARER}`],
    ]) {
      assert.equal((await send(target('kms.revokeGrant'), authorization)).status, 401);
    }
    const nobody = await jwt('nobody', []);
    assert.equal((await send(target('kms.revokeGrant'), `Bearer ${nobody}`)).status, 403);
    assert.equal((await send('/v1/kms/keys/bad/grants/bad', bearer)).status, 400);
    assert.equal(
      (await send(`${target('kms.revokeGrant')}?access_token=${alice}`, bearer)).status,
      400,
    );

    // The cloud failing, including token replays (an expired token is replaced and retried).
    const faults: [OperationName, Parameters<typeof gw.sim.injectFault>[0], number][] = [
      ['scm.revokePrivacy', { service: 'scm', kind: 'status', status: 400 }, 400],
      ['apig.deleteCertificate', { service: 'apig', kind: 'token-expired', count: 2 }, 502],
      ['kms.revokeGrant', { service: 'kms', kind: 'token-expired' }, 200],
      ['apig.deleteCertificate', { service: 'apig', kind: 'token-expired' }, 200],
      ['modelarts.deleteAuthorization', { service: 'modelarts', kind: 'throttle' }, 429],
      ['kms.revokeGrant', { service: 'kms', kind: 'reset', count: Infinity }, 503],
      ['apig.deleteCertificate', { service: 'apig', kind: 'html', count: Infinity }, 502],
      ['kms.revokeGrant', { service: 'kms', kind: 'truncated-json' }, 502],
      [
        'modelarts.deleteAuthorization',
        { service: 'modelarts', kind: 'hang', takesEffect: true },
        200,
      ],
    ];
    for (const [kind, fault, status] of faults) {
      gw.sim.injectFault(fault);
      const answer = await send(target(kind), bearer);
      assert.equal(answer.status, status, `${fault.kind}: ${answer.text}`);
      gw.sim.clearFaults();
    }

    // IAM failing: every token revoked, then IAM refuses the password, is unreachable, throttles.
    gw.sim.revokeAllTokens();
    gw.sim.injectFault({
      service: 'iam',
      kind: 'status',
      status: 401,
      body: {
        error: { code: 401, message: 'The username or password is wrong.', title: 'Unauthorized' },
      },
    });
    assert.equal((await send(target('kms.revokeGrant'), bearer)).status, 502);
    gw.sim.injectFault({ service: 'iam', kind: 'reset' });
    assert.equal((await send(target('kms.revokeGrant'), bearer)).status, 503);
    gw.sim.injectFault({ service: 'iam', kind: 'throttle' });
    assert.equal((await send(target('kms.revokeGrant'), bearer)).status, 429);
    assert.equal((await send(target('kms.revokeGrant'), bearer)).status, 200);
    // The domain-scoped token was revoked too: SCM refuses it, and a fresh one is exchanged.
    assert.equal((await send(target('scm.deleteCsr'), bearer)).status, 200);

    // Reading: the audit API as JSON and as NDJSON, and the operational endpoints.
    const auditor = `Bearer ${await jwt('auditor', [])}`;
    assert.equal((await send('/v1/audit?limit=1000', auditor, 'GET')).status, 200);
    const ndjson = await rawRequest(
      gw,
      '/v1/audit',
      {
        authorization: auditor,
        accept: 'application/x-ndjson',
      },
      'GET',
    );
    assert.equal(ndjson.status, 200);
    answers.push(ndjson);
    for (const path of ['/metrics', '/healthz', '/readyz', '/openapi.json']) {
      answers.push(await call(gw, path, { method: 'GET' }));
    }

    canaries = buildCanaries(
      [
        { name: 'IAM password', value: PASSWORD },
        { name: 'IAM password (base64)', value: Buffer.from(PASSWORD).toString('base64') },
        ...[...new Set(authorizations)].map((value, index) => ({
          name: `Authorization value ${String(index)}`,
          value,
        })),
        { name: 'garbage bearer token', value: GARBAGE_BEARER },
        { name: 'Basic secret', value: BASIC_SECRET },
        { name: 'checkpoint signing key', value: signingKeySeed },
      ],
      [
        ...issuedTokens(gw.sim).map((value, index) => ({
          name: `IAM token ${String(index)}`,
          value,
        })),
        ...jwts.map((value, index) => ({ name: `caller JWT ${String(index)}`, value })),
        ...jwts.map((value, index) => ({
          name: `caller JWT ${String(index)} signature`,
          value: value.split('.')[2] ?? '',
        })),
      ],
    );
  });

  after(async () => {
    if (!closed) await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('searches for every token IAM issued, and the searches find canaries where they belong', () => {
    // Every token the simulator issued was used in a call the simulator recorded.
    const tokens = issuedTokens(gw.sim);
    assert.ok(tokens.length >= 3, 'the workload made the gateway exchange tokens repeatedly');
    assert.equal(tokens.length, gw.sim.issuedTokens());

    const iamBodies = gw.sim
      .calls({ service: 'iam' })
      .map((recorded) => recorded.body)
      .join('\n');
    assert.ok(leaksIn(iamBodies, canaries).includes('IAM password'));
    const serviceHeaders = JSON.stringify(
      gw.sim
        .calls()
        .filter((recorded) => recorded.service !== 'iam')
        .map((recorded) => recorded.headers),
    );
    const seen = new Set(leaksIn(serviceHeaders, canaries));
    for (const index of tokens.keys()) {
      assert.ok(seen.has(`IAM token ${String(index)}`), `token ${String(index)} is searched for`);
    }
    const sent = new Set(leaksIn(authorizations.join('\n'), canaries));
    for (const index of jwts.keys()) {
      assert.ok(sent.has(`caller JWT ${String(index)} signature`), `JWT ${String(index)}`);
    }
    assert.ok(sent.has('garbage bearer token'));

    // A part of a token, anywhere in text or amid binary data, is found too.
    const token = tokens[0] ?? '';
    for (const start of [0, 1001, 4567, token.length - 64]) {
      const part = token.slice(start, start + 64);
      assert.deepEqual(leaksIn(`{"hint":"${part}"}`, canaries), ['IAM token 0 (part)']);
      const binary = Buffer.concat([randomBytes(4096), Buffer.from(part), randomBytes(4096)]);
      assert.ok(leaksIn(binary, canaries).includes('IAM token 0 (part)'));
    }
    const signature = jwts[0]?.split('.')[2] ?? '';
    assert.ok(
      leaksIn(`sig=${signature.slice(3)}`, canaries).includes('caller JWT 0 signature (part)'),
    );
    const binary = Buffer.concat([randomBytes(4096), Buffer.from(PASSWORD), randomBytes(4096)]);
    assert.deepEqual(leaksIn(binary, canaries), ['IAM password']);
  });

  it('returns none in any response body or header', () => {
    assert.ok(answers.length >= 35);
    const requestIds = answers.map((answer) => answer.requestId).filter((id) => id !== '');
    assert.ok(requestIds.length >= 30, 'the answers were captured');
    for (const answer of answers) {
      assert.deepEqual(leaksIn(serialize(answer), canaries), [], serialize(answer).slice(0, 500));
    }
  });

  it('logs none, at trace level', () => {
    const logs = gw.logs();
    const successful = answers.find((answer) => answer.status === 200 && answer.body.auditId);
    assert.ok(successful !== undefined && logs.includes(successful.requestId), 'the log is real');
    assert.ok(logs.includes('"level":"trace"'), 'trace lines were written');
    assert.deepEqual(leaksIn(logs, canaries), []);
  });

  it('exposes none in /metrics', async () => {
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    assert.ok(metrics.includes('rescind_token_exchanges_total'));
    assert.deepEqual(leaksIn(metrics, canaries), []);
  });

  it('stores none in the SQLite audit file or its WAL while the gateway runs', () => {
    const db = readFileSync(auditPath);
    assert.ok(existsSync(`${auditPath}-wal`), 'the store runs in WAL mode');
    const wal = readFileSync(`${auditPath}-wal`);
    const both = Buffer.concat([db, wal]);
    const last = answers.filter((answer) => answer.body.auditId !== undefined).at(-1);
    assert.ok(
      last !== undefined && both.includes(Buffer.from(last.requestId)),
      'records are there',
    );
    assert.deepEqual(leaksIn(db, canaries), []);
    assert.deepEqual(leaksIn(wal, canaries), []);
  });

  it('leaves none in the audit file, WAL, checkpoints, export or log after close', async () => {
    await gw.close();
    closed = true;
    const db = readFileSync(auditPath);
    assert.ok(db.length > 0);
    assert.deepEqual(leaksIn(db, canaries), []);
    if (existsSync(`${auditPath}-wal`)) {
      assert.deepEqual(leaksIn(readFileSync(`${auditPath}-wal`), canaries), []);
    }
    const checkpoints = readFileSync(`${auditPath}.checkpoints`);
    assert.ok(checkpoints.length > 0, 'checkpoints were written');
    assert.deepEqual(leaksIn(checkpoints, canaries), []);
    assert.deepEqual(leaksIn(gw.logs(), canaries), []);

    // `npm run audit:export`, configured the way an operator would for this store.
    const configFile = join(dir, 'export.yaml');
    writeFileSync(configFile, 'audit:\n  instanceId: test\n');
    const exported = await run(process.execPath, ['src/audit/cli/export-cli.ts'], {
      env: {
        PATH: process.env.PATH ?? '',
        RESCIND_CONFIG: configFile,
        RESCIND_AUDIT_SQLITE_PATH: auditPath,
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    const lines = exported.stdout.trim().split('\n');
    assert.ok(lines.length >= answers.length, 'every audited request was exported');
    const last = answers.filter((answer) => answer.body.auditId !== undefined).at(-1);
    assert.ok(last !== undefined && exported.stdout.includes(last.requestId));
    assert.deepEqual(leaksIn(exported.stdout, canaries), []);
    assert.deepEqual(leaksIn(exported.stderr, canaries), []);
  });
});

// The other credentials modes (docs/credentials.md): the secret key, every temporary key and
// security token the metadata service handed out, every ID token the platform wrote, the IAM
// tokens they were exchanged for and every signed Authorization header, searched for the same
// way in the answers, the logs, /metrics and the audit files of an oidc, an access-key and a
// metadata gateway, after successes, renewals, refusals and services quoting secrets back.
describe('no secret key, temporary key, security token or ID token leaves the process', () => {
  const SECRET_KEY = `canary-sk-${randomBytes(12).toString('hex')}`;
  const gateways: ModeGateway[] = [];
  const answers: Answer[] = [];
  const idTokens: string[] = [];
  let canaries: Canaries = buildCanaries([], []);
  const files = new Map<ModeGateway, Buffer>();

  const send = async (m: ModeGateway, path: string, expected: number) => {
    const authorization = `Bearer ${await m.gw.sign({ sub: 'alice', groups: ['secops'] })}`;
    const answer = await rawRequest(m.gw, path, { authorization });
    assert.equal(answer.status, expected, answer.text);
    answers.push(answer);
  };
  const quoteBack = (m: ModeGateway, service: 'kms' | 'iam', secret: string) => {
    const message = `invalid request from ${secret.slice(0, 300)} (${secret.slice(-200)})`;
    m.sim.injectFault({
      service,
      kind: 'status',
      status: 400,
      body:
        service === 'iam'
          ? { error: { code: 400, message, title: 'Bad Request' } }
          : { error: { error_code: 'KMS.0201', error_msg: message } },
    });
  };

  before(async () => {
    const options = { config: { upstream: FAST_UPSTREAM }, logLevel: 'trace' };
    const oidc = await startModeGateway('oidc', options);
    gateways.push(oidc);
    const accessKey = await startModeGateway('access-key', {
      ...options,
      env: { RESCIND_SECRET_KEY: SECRET_KEY },
      simulator: {
        credentials: {
          accessKeys: [
            { access: DEMO_ACCESS_KEY.access, secret: SECRET_KEY, domain: DEMO_ACCOUNT.domain },
          ],
        },
      },
    });
    gateways.push(accessKey);
    const metadata = await startModeGateway('metadata', options);
    gateways.push(metadata);
    const target = (m: ModeGateway, kind: OperationName) => createTarget(m.sim, kind).path;

    // oidc: successes, a rotated file after the cloud dropped its tokens, IAM quoting it back.
    for (const kind of ['scm.deleteCsr', 'kms.revokeGrant', 'apig.deleteCertificate'] as const)
      await send(oidc, target(oidc, kind), 200);
    idTokens.push(readFileSync(oidc.tokenFile, 'utf8'));
    idTokens.push(await oidc.rotateIdToken());
    oidc.sim.revokeAllTokens();
    await send(oidc, target(oidc, 'kms.revokeGrant'), 200);
    idTokens.push(await oidc.rotateIdToken());
    oidc.sim.revokeAllTokens();
    quoteBack(oidc, 'iam', idTokens.at(-1) ?? '');
    await send(oidc, target(oidc, 'modelarts.deleteAuthorization'), 502);

    // access-key: successes, two refusals, a throttle.
    for (const kind of [
      'scm.revokePrivacy',
      'scm.deleteCsr',
      'modelarts.deleteAuthorization',
    ] as const) {
      await send(accessKey, target(accessKey, kind), 200);
    }
    accessKey.sim.injectFault({ service: 'kms', kind: 'token-expired', count: 2 });
    await send(accessKey, target(accessKey, 'kms.revokeGrant'), 502);
    accessKey.sim.injectFault({ service: 'apig', kind: 'throttle' });
    await send(accessKey, target(accessKey, 'apig.deleteCertificate'), 429);

    // metadata: successes, a revoked key renewed, the service quoting the security token back,
    // the metadata service failing.
    for (const kind of ['scm.deleteCsr', 'kms.revokeGrant'] as const)
      await send(metadata, target(metadata, kind), 200);
    metadata.sim.revokeTemporaryKeys();
    await send(metadata, target(metadata, 'apig.deleteCertificate'), 200);
    quoteBack(metadata, 'kms', metadata.sim.temporaryKeys().at(-1)?.securityToken ?? '');
    await send(metadata, target(metadata, 'kms.revokeGrant'), 400);
    metadata.sim.revokeTemporaryKeys();
    metadata.sim.injectFault({ service: 'metadata', kind: 'reset', count: Infinity });
    await send(metadata, target(metadata, 'kms.revokeGrant'), 503);
    metadata.sim.clearFaults();
    await send(metadata, target(metadata, 'scm.revokePrivacy'), 200);

    for (const m of gateways) {
      answers.push(await call(m.gw, '/metrics', { method: 'GET' }));
      const wal = `${m.gw.auditPath}-wal`;
      files.set(
        m,
        Buffer.concat([
          readFileSync(m.gw.auditPath),
          existsSync(wal) ? readFileSync(wal) : Buffer.alloc(0),
        ]),
      );
    }

    const temporary = metadata.sim.temporaryKeys();
    const signedAuthorizations = gateways.flatMap((m) =>
      m.sim
        .calls()
        .map((c) => c.headers.authorization ?? '')
        .filter((value) => value.startsWith('SDK-HMAC-SHA256')),
    );
    canaries = buildCanaries(
      [
        { name: 'secret key', value: SECRET_KEY },
        ...temporary.map((key, i) => ({
          name: `temporary secret key ${String(i)}`,
          value: key.secret,
        })),
        ...signedAuthorizations.map((value, i) => ({
          name: `signature ${String(i)}`,
          value: value.slice(value.lastIndexOf('=') + 1),
        })),
      ],
      [
        ...temporary.map((key, i) => ({
          name: `security token ${String(i)}`,
          value: key.securityToken,
        })),
        ...idTokens.map((value, i) => ({ name: `ID token ${String(i)}`, value })),
        ...idTokens.map((value, i) => ({
          name: `ID token ${String(i)} signature`,
          value: value.split('.')[2] ?? '',
        })),
        ...issuedTokens(oidc.sim).map((value, i) => ({ name: `IAM token ${String(i)}`, value })),
      ],
    );
  });

  after(async () => {
    for (const m of gateways) await m.close();
  });

  it('searches for secrets that really travelled', () => {
    const [oidc, accessKey, metadata] = gateways;
    assert.ok(oidc && accessKey && metadata);
    assert.ok(idTokens.length === 3 && metadata.sim.temporaryKeys().length >= 2);
    const iamBodies = oidc.sim
      .calls({ service: 'iam' })
      .map((c) => c.body)
      .join('\n');
    for (const index of idTokens.keys()) {
      assert.ok(leaksIn(iamBodies, canaries).includes(`ID token ${String(index)}`));
    }
    const sentHeaders = JSON.stringify(metadata.sim.calls().map((c) => c.headers));
    assert.ok(leaksIn(sentHeaders, canaries).includes('security token 0'));
    assert.ok(
      leaksIn(sentHeaders, canaries).includes('signature 0') ||
        leaksIn(JSON.stringify(accessKey.sim.calls().map((c) => c.headers)), canaries).includes(
          'signature 0',
        ),
    );
    const quoted = metadata.sim.temporaryKeys().at(-2)?.securityToken.slice(100, 180) ?? '';
    assert.ok(
      leaksIn(`{"msg":"${quoted}"}`, canaries).some((name) => name.startsWith('security token')),
    );
  });

  it('returns none in any response body or header, /metrics included', () => {
    assert.ok(answers.length >= 15);
    for (const answer of answers) {
      assert.deepEqual(leaksIn(serialize(answer), canaries), [], serialize(answer).slice(0, 500));
    }
  });

  it('logs none, at trace level', () => {
    assert.ok(gateways.some((m) => m.gw.logs().includes('"level":"trace"')));
    for (const m of gateways) {
      assert.ok(m.gw.logs().includes('upstream attempt failed'), 'the log is real');
      assert.deepEqual(leaksIn(m.gw.logs(), canaries), []);
    }
  });

  it('stores none in the audit files', () => {
    for (const m of gateways) {
      const bytes = files.get(m);
      assert.ok(bytes !== undefined && bytes.length > 0);
      assert.deepEqual(leaksIn(bytes, canaries), []);
    }
  });
});
