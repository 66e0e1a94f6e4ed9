import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import express from 'express';
import supertest from 'supertest';
import type { AuditReader } from '../../../src/audit/audit-reader.ts';
import type { AuditRecord } from '../../../src/audit/audit-record.ts';
import type { OpenedAuditTrail } from '../../../src/audit/open-audit-trail.ts';
import {
  createAuditQueryHandler,
  NDJSON_CONTENT_TYPE,
} from '../../../src/http/audit-query-routes.ts';
import { createErrorHandler } from '../../../src/http/error-handler.ts';
import { createRequestScope } from '../../../src/http/create-request-scope.ts';
import { ProblemError } from '../../../src/problems/problem-error.ts';
import {
  auditConfig,
  defer,
  logSink,
  openTestTrail,
  recordRequest,
  sampleEvent,
  sampleOutcome,
  tempDir,
} from './audit-test-kit.ts';

const START = Date.UTC(2025, 5, 1, 12, 0, 0);

/** Five records; record n written at START + n seconds. */
async function seededTrail(t: TestContext): Promise<OpenedAuditTrail> {
  let now = START;
  const { trail: opened } = await openTestTrail(t, auditConfig(tempDir(t)), {
    clock: () => now,
  });
  // Each record handed over moves the clock one second on.
  const tick = <T>(write: () => Promise<T>) => {
    now += 1000;
    return write();
  };
  const trail = {
    recordAttempt: (event: Parameters<OpenedAuditTrail['recordAttempt']>[0]) =>
      tick(() => opened.recordAttempt(event)),
    recordOutcome: (...args: Parameters<OpenedAuditTrail['recordOutcome']>) =>
      tick(() => opened.recordOutcome(...args)),
  };
  // Three requests by two callers over two operations; one denied, one failed.
  const alice = sampleEvent({ requestId: 'req-a' });
  const bob = sampleEvent({
    requestId: 'req-b',
    actor: { subject: 'bob', email: null, groups: [], via: 'jwt' },
    operation: 'scm.deleteCsr',
    target: { csrId: 'csr-0123456789abcdef' },
  });
  const carol = sampleEvent({
    requestId: 'req-c',
    actor: { subject: 'carol', email: null, groups: [], via: 'trusted-headers' },
  });
  await recordRequest(trail, alice);
  await trail.recordOutcome(
    bob,
    sampleOutcome({
      result: 'denied',
      status: 403,
      code: 'FORBIDDEN',
      upstream: null,
      attempts: 0,
    }),
  );
  const failedAttempt = await trail.recordAttempt(carol);
  await trail.recordOutcome(
    carol,
    sampleOutcome({
      result: 'failed',
      status: 404,
      code: 'NOT_FOUND',
      attemptId: failedAttempt.id,
    }),
  );
  return opened;
}

function appOf(reader: AuditReader): express.Express {
  const { logger } = logSink();
  const app = express();
  app.use(createRequestScope(logger));
  app.get('/v1/audit', createAuditQueryHandler(reader, { logger }));
  app.use(
    createErrorHandler({
      recordAttempt: () => Promise.reject(new Error('not audited')),
      recordOutcome: () => Promise.reject(new Error('not audited')),
      readiness: () => ({ ready: true, reasons: [] }),
      close: () => Promise.resolve(),
    }),
  );
  return app;
}

function seqs(items: readonly AuditRecord[]): number[] {
  return items.map((item) => item.seq);
}

describe('audit query API', () => {
  test('filters by operation, actor, result, request id and time', async (t) => {
    const { reader } = await seededTrail(t);
    const page = async (query: Parameters<AuditReader['page']>[0]) =>
      seqs((await reader.page(query)).items);
    assert.deepEqual(await page({}), [1, 2, 3, 4, 5]);
    assert.deepEqual(await page({ operation: 'scm.deleteCsr' }), [3]);
    assert.deepEqual(await page({ actor: 'carol' }), [4, 5]);
    assert.deepEqual(await page({ result: 'failed' }), [5]);
    assert.deepEqual(await page({ requestId: 'req-a' }), [1, 2]);
    // Record n was written at START + n seconds; since is inclusive, until exclusive.
    const at = (n: number) => new Date(START + n * 1000).toISOString();
    assert.deepEqual(await page({ since: at(2), until: at(4) }), [2, 3]);
    assert.deepEqual(await page({ since: '2025-06-01T14:00:03+02:00' }), [3, 4, 5]);
    assert.deepEqual(await page({ actor: 'alice', result: 'revoked' }), [2]);
  });

  test('pages without gaps or duplicates while records keep arriving', async (t) => {
    const { trail } = await openTestTrail(t, auditConfig(tempDir(t)));
    for (let index = 0; index < 25; index += 1) {
      await trail.recordAttempt(sampleEvent({ requestId: `before-${index}` }));
    }
    const seen: number[] = [];
    let cursor: string | undefined;
    let appended = 0;
    for (;;) {
      const page = await trail.reader.page({
        limit: 7,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      seen.push(...seqs(page.items));
      // Appends between pages, and concurrently with the next page's query.
      const writes = Array.from({ length: 3 }, () =>
        trail.recordAttempt(sampleEvent({ requestId: `during-${appended++}` })),
      );
      if (page.nextCursor === null) {
        await Promise.all(writes);
        break;
      }
      cursor = page.nextCursor;
      await Promise.all(writes);
      if (appended > 60) break;
    }
    assert.equal(new Set(seen).size, seen.length, 'no record twice');
    assert.deepEqual(
      seen,
      Array.from({ length: seen.length }, (_, index) => index + 1),
      'no gap',
    );
    assert.ok(seen.length >= 25, 'every record present when paging began was seen');
  });

  test('answers the last page with nextCursor null', async (t) => {
    const { reader } = await seededTrail(t);
    const first = await reader.page({ limit: 3 });
    assert.deepEqual(seqs(first.items), [1, 2, 3]);
    assert.ok(first.nextCursor !== null);
    const last = await reader.page({ limit: 3, cursor: first.nextCursor });
    assert.deepEqual(seqs(last.items), [4, 5]);
    assert.equal(last.nextCursor, null);
    const exact = await reader.page({ limit: 5 });
    assert.equal(exact.nextCursor, null, 'a full last page is still the last');
  });

  test('refuses a cursor it did not hand out', async (t) => {
    const { reader } = await seededTrail(t);
    await assert.rejects(reader.page({ cursor: 'c1.bm90LWpzb24' }), (error: unknown) => {
      assert.ok(error instanceof ProblemError);
      assert.equal(error.code, 'INVALID_REQUEST');
      assert.deepEqual(
        error.errors?.map((e) => e.field),
        ['cursor'],
      );
      return true;
    });
  });

  test('GET /v1/audit answers pages and follows nextCursor to the end', async (t) => {
    const app = appOf((await seededTrail(t)).reader);
    const first = await supertest(app).get('/v1/audit?limit=2').expect(200);
    assert.match(first.headers['content-type'] ?? '', /application\/json/);
    const body = first.body as { items: AuditRecord[]; nextCursor: string | null };
    assert.deepEqual(seqs(body.items), [1, 2]);
    assert.equal(typeof body.nextCursor, 'string');
    const rest = await supertest(app)
      .get('/v1/audit')
      .query({ limit: '10', cursor: body.nextCursor })
      .expect(200);
    assert.deepEqual(rest.body, {
      items: (rest.body as { items: AuditRecord[] }).items,
      nextCursor: null,
    });
    assert.deepEqual(seqs((rest.body as { items: AuditRecord[] }).items), [3, 4, 5]);
    const filtered = await supertest(app).get('/v1/audit?result=denied').expect(200);
    assert.deepEqual(seqs((filtered.body as { items: AuditRecord[] }).items), [3]);
  });

  test('GET /v1/audit answers 400 INVALID_REQUEST naming each bad parameter', async (t) => {
    const app = appOf((await seededTrail(t)).reader);
    const cases: [string, string[]][] = [
      ['limit=0', ['limit']],
      ['limit=1001', ['limit']],
      ['limit=ten', ['limit']],
      ['result=maybe', ['result']],
      ['since=yesterday', ['since']],
      ['since=2025-06-02T00:00:00Z&until=2025-06-01T00:00:00Z', ['until']],
      ['actor=a&actor=b', ['actor']],
      ['colour=blue', ['colour']],
      ['cursor=garbage', ['cursor']],
    ];
    for (const [query, fields] of cases) {
      const response = await supertest(app).get(`/v1/audit?${query}`).expect(400);
      assert.match(response.headers['content-type'] ?? '', /application\/problem\+json/);
      const problem = response.body as {
        code: string;
        errors: { field: string; message: string }[];
      };
      assert.equal(problem.code, 'INVALID_REQUEST', query);
      assert.deepEqual(
        problem.errors.map((error) => error.field),
        fields,
        query,
      );
      assert.ok(problem.errors.every((error) => error.message.length > 0));
    }
  });

  test('GET /v1/audit with Accept: application/x-ndjson streams every match, beyond one batch', async (t) => {
    const { trail } = await openTestTrail(t, auditConfig(tempDir(t)));
    await Promise.all(
      Array.from({ length: 1200 }, (_, index) =>
        index % 2 === 0
          ? trail.recordAttempt(sampleEvent({ requestId: `even-${index}` }))
          : trail.recordOutcome(sampleEvent({ requestId: `odd-${index}` }), sampleOutcome()),
      ),
    );
    const response = await supertest(appOf(trail.reader))
      .get('/v1/audit?result=revoked&limit=5')
      .set('Accept', NDJSON_CONTENT_TYPE)
      .buffer(true)
      .parse((res, callback) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          callback(null, text);
        });
      })
      .expect(200);
    assert.match(response.headers['content-type'] ?? '', /^application\/x-ndjson/);
    const lines = (response.body as string).trimEnd().split('\n');
    assert.equal(lines.length, 600, 'every match, the page limit does not apply');
    const records = lines.map((line) => JSON.parse(line) as AuditRecord);
    assert.ok(records.every((record) => record.outcome?.result === 'revoked'));
    assert.deepEqual(
      seqs(records),
      [...seqs(records)].sort((a, b) => a - b),
    );
  });

  test('stops reading the store when the client goes away mid-stream', async (t) => {
    const { trail } = await openTestTrail(t, auditConfig(tempDir(t)));
    const big = Object.fromEntries(
      Array.from({ length: 16 }, (_, index) => [`k${index}`, 'v'.repeat(250)]),
    );
    const total = 2000;
    // In batches: 8 MB handed over at once would queue past the store's write deadline on a
    // busy machine, and the seeding is not what this test is about.
    for (let start = 0; start < total; start += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, offset) =>
          trail.recordAttempt(sampleEvent({ requestId: `r-${start + offset}`, target: big })),
        ),
      );
    }
    let yielded = 0;
    let finished!: () => void;
    const done = new Promise<void>((resolve) => {
      finished = resolve;
    });
    const counting: AuditReader = {
      page: (query) => trail.reader.page(query),
      async *stream(query) {
        try {
          for await (const record of trail.reader.stream(query)) {
            yielded += 1;
            yield record;
          }
        } finally {
          finished();
        }
      },
    };
    const server: Server = appOf(counting).listen(0, '127.0.0.1');
    defer(t, () => new Promise((resolve) => server.close(resolve)));
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const client = httpRequest({
      host: '127.0.0.1',
      port,
      path: '/v1/audit',
      headers: { accept: NDJSON_CONTENT_TYPE },
    });
    client.end();
    const [response] = (await once(client, 'response')) as [NodeJS.ReadableStream];
    response.pause();
    await once(response, 'readable');
    client.destroy();
    await done;
    assert.ok(yielded < total, `read ${yielded} of ${total} records`);
  });
});
