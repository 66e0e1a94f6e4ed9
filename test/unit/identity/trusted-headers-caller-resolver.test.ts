import assert from 'node:assert/strict';
import { request, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import type { AuditTrail } from '../../../src/audit/audit-trail.ts';
import { createErrorHandler } from '../../../src/http/error-handler.ts';
import { createRequestScope } from '../../../src/http/create-request-scope.ts';
import { scopeOf } from '../../../src/http/request-scope.ts';
import { authenticate } from '../../../src/http/revocation-pipeline.ts';
import { createTrustedHeadersCallerResolver } from '../../../src/identity/trusted-headers-caller-resolver.ts';
import { assertUnauthenticated, capturingLogger, evidenceOf } from './support.ts';

const PROXY = '10.0.0.7';

describe('trusted headers from the resolver', () => {
  const resolver = createTrustedHeadersCallerResolver(['10.0.0.0/24', 'fd00::/8']);
  const identity = [
    ['X-Forwarded-User', 'alice'],
    ['X-Forwarded-Email', 'alice@example.com'],
    ['X-Forwarded-Groups', 'secops, dev'],
  ] as const;

  test('a trusted proxy vouches for subject, email and groups', async () => {
    const caller = await resolver.authenticate(evidenceOf(identity, PROXY));
    assert.deepEqual(caller, {
      subject: 'alice',
      email: 'alice@example.com',
      groups: ['secops', 'dev'],
      via: 'trusted-headers',
    });
  });

  test('an IPv4-mapped IPv6 peer counts as its IPv4 address', async () => {
    const caller = await resolver.authenticate(evidenceOf(identity, `::ffff:${PROXY}`));
    assert.equal(caller.subject, 'alice');
  });

  test('an IPv6 proxy inside a trusted network is believed', async () => {
    const caller = await resolver.authenticate(evidenceOf(identity, 'fd00::7'));
    assert.equal(caller.subject, 'alice');
  });

  test('the same headers from an untrusted peer are refused', async () => {
    for (const peer of ['10.0.1.7', '::ffff:192.0.2.1', 'fe80::7', undefined]) {
      await assertUnauthenticated(
        resolver.authenticate(evidenceOf(identity, peer)),
        /trusted proxy/,
      );
    }
  });

  test('a trusted peer without X-Forwarded-User is refused', async () => {
    await assertUnauthenticated(
      resolver.authenticate(evidenceOf([['X-Forwarded-Groups', 'secops']], PROXY)),
      /no X-Forwarded-User/,
    );
  });

  test('an unusable X-Forwarded-User is refused', async () => {
    await assertUnauthenticated(
      resolver.authenticate(evidenceOf([['X-Forwarded-User', ' alice']], PROXY)),
      /usable subject/,
    );
  });

  for (const name of ['X-Forwarded-User', 'X-Forwarded-Email', 'X-Forwarded-Groups']) {
    test(`${name} sent twice is refused, never merged`, async () => {
      const pairs = [...identity, [name.toLowerCase(), 'admins']] as const;
      await assertUnauthenticated(
        resolver.authenticate(evidenceOf(pairs, PROXY)),
        new RegExp(`${name} was sent more than once`),
      );
    });
  }

  test('an Authorization header neither replaces nor adds to the proxied identity', async () => {
    const caller = await resolver.authenticate(
      evidenceOf([...identity, ['Authorization', 'Bearer eyJhbGciOiJub25lIn0.e30.']], PROXY),
    );
    assert.equal(caller.subject, 'alice');
    assert.deepEqual(caller.groups, ['secops', 'dev']);
  });

  test('without groups or email the caller has none', async () => {
    const caller = await resolver.authenticate(evidenceOf([['X-Forwarded-User', 'bob']], PROXY));
    assert.deepEqual(caller, { subject: 'bob', groups: [], via: 'trusted-headers' });
  });
});

/** The real path: Node's own header parsing and the TCP peer of a loopback connection. */
describe('trusted headers over HTTP', () => {
  const failingAudit: AuditTrail = {
    recordAttempt: () => Promise.reject(new Error('no operation is bound on this route')),
    recordOutcome: () => Promise.reject(new Error('no operation is bound on this route')),
    readiness: () => ({ ready: true, reasons: [] }),
    close: () => Promise.resolve(),
  };

  function appTrusting(cidrs: string[]) {
    const app = express();
    app.use(createRequestScope(capturingLogger().logger));
    app.get('/whoami', authenticate(createTrustedHeadersCallerResolver(cidrs)), (_req, res) => {
      res.json(scopeOf(res).caller);
    });
    app.use(createErrorHandler(failingAudit));
    return app;
  }

  const servers: Server[] = [];
  let trustingV4: string;
  let trustingV6: string;
  let distrusting: string;
  before(async () => {
    trustingV4 = await listen(appTrusting(['127.0.0.1/32']), '127.0.0.1');
    trustingV6 = await listen(appTrusting(['::1/128']), '::1');
    distrusting = await listen(appTrusting(['10.0.0.0/8']), '127.0.0.1');
  });
  after(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function listen(app: express.Express, host: string): Promise<string> {
    const server = app.listen(0, host);
    servers.push(server);
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
  }

  const headers: OutgoingHttpHeaders = {
    'X-Forwarded-User': 'alice',
    'X-Forwarded-Email': 'alice@example.com',
    'X-Forwarded-Groups': 'secops',
  };

  test('a trusted loopback proxy (IPv4 and IPv6) is believed', async () => {
    for (const base of [trustingV4, trustingV6]) {
      const answer = await get(`${base}/whoami`, headers);
      assert.equal(answer.status, 200);
      assert.deepEqual(JSON.parse(answer.body), {
        subject: 'alice',
        email: 'alice@example.com',
        groups: ['secops'],
        via: 'trusted-headers',
      });
    }
  });

  test('an untrusted peer gets 401 problem+json even with the headers present', async () => {
    const answer = await get(`${distrusting}/whoami`, headers);
    assert.equal(answer.status, 401);
    assert.match(answer.type, /^application\/problem\+json/);
    assert.equal((JSON.parse(answer.body) as { code: string }).code, 'UNAUTHENTICATED');
  });

  test('X-Forwarded-Groups appended to by a second header line is 401 (oauth2-proxy#877)', async () => {
    const answer = await get(`${trustingV4}/whoami`, {
      ...headers,
      'X-Forwarded-Groups': ['secops', 'admins'],
    });
    assert.equal(answer.status, 401);
    const body = JSON.parse(answer.body) as { code: string; detail: string };
    assert.equal(body.code, 'UNAUTHENTICATED');
    assert.match(body.detail, /X-Forwarded-Groups was sent more than once/);
  });
});

interface Answer {
  readonly status: number;
  readonly type: string;
  readonly body: string;
}

/** node:http, because it sends an array header as repeated lines (fetch would join them). */
function get(url: string, headers: OutgoingHttpHeaders): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers['content-type'] ?? '',
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
