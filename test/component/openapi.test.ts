// The served OpenAPI document against the running gateway: every route the app has is
// documented and every documented route exists, the audit query parameters are exactly the ones
// the audit API takes, with the documented bounds, and real answers match the schemas.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Express } from 'express';
import { createApp } from '../../src/app.ts';
import { buildOpenApi, AUDIT_QUERY_PARAMETERS } from '../../src/openapi/build-openapi.ts';
import { OPERATIONS } from '../../src/operations/catalog.ts';
import { DEFAULT_PROJECT, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { schemaErrors } from '../unit/openapi/check-schema.ts';

type Doc = Record<string, unknown> & {
  paths: Record<string, Record<string, OperationDoc>>;
};
interface OperationDoc {
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

const KEY_ID = '0d0466b0-e727-4d9c-b35d-f84bb474a37f';

let gw: TestGateway;
let doc: Doc;

before(async () => {
  gw = await startGateway();
  const answer = await fetch(`${gw.url}/openapi.json`);
  assert.equal(answer.status, 200);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
  doc = (await answer.json()) as Doc;
});
after(() => gw.close());

/** `METHOD /path` of every route the app answers, in OpenAPI spelling (`{param}`). */
function appRoutes(app: Express): Set<string> {
  const routes = new Set<string>();
  interface Layer {
    route?: { path: string; methods: Record<string, boolean> };
    handle?: { stack?: Layer[] };
  }
  const visit = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const methods = Object.keys(layer.route.methods);
        // The all() fallbacks that answer 405 for every other method are not routes (a router's
        // all() is one `_all` entry, the app's one entry per method).
        if (methods.length > 2 || methods.includes('_all')) continue;
        const path = layer.route.path.replace(/:(\w+)/g, '{$1}');
        for (const method of methods) routes.add(`${method.toUpperCase()} ${path}`);
      } else if (layer.handle?.stack) {
        visit(layer.handle.stack);
      }
    }
  };
  visit((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return routes;
}

function documentedRoutes(): Set<string> {
  return new Set(
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    ),
  );
}

function responseSchema(path: string, method: string, status: number, type: string): unknown {
  const schema = doc.paths[path]?.[method]?.responses[String(status)]?.content?.[type]?.schema;
  assert.ok(schema, `${method.toUpperCase()} ${path} documents ${String(status)} ${type}`);
  return schema;
}

describe('GET /openapi.json', () => {
  it('serves the document built from the catalogs for the configured identity mode', () => {
    assert.deepEqual(
      doc,
      buildOpenApi(gw.config.identity.mode, Object.keys(gw.config.cloud.projects)),
    );
  });

  it('documents every route of the app, and no route the app does not have', () => {
    const app = createApp(gw.composition.deps);
    assert.deepEqual([...documentedRoutes()].sort(), [...appRoutes(app)].sort());
    for (const operation of OPERATIONS) {
      assert.ok(documentedRoutes().has(`DELETE ${operation.path}`), operation.name);
    }
  });

  it('every documented route exists: none of them is ROUTE_NOT_FOUND', async () => {
    for (const route of documentedRoutes()) {
      const [method = '', path = ''] = route.split(' ');
      const url = path.replace(/\{(\w+)\}/g, 'x');
      const answer = await fetch(`${gw.url}${url}`, { method });
      const problem = answer.headers.get('content-type')?.startsWith('application/problem+json')
        ? ((await answer.json()) as { code: string })
        : undefined;
      assert.notEqual(problem?.code, 'ROUTE_NOT_FOUND', route);
      assert.notEqual(problem?.code, 'METHOD_NOT_ALLOWED', route);
    }
  });
});

describe('the audit query parameters', () => {
  let token: string;
  before(async () => {
    token = await gw.token('auditor', []);
  });

  const query = async (params: Record<string, string>) => {
    const answer = await fetch(`${gw.url}/v1/audit?${new URLSearchParams(params).toString()}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return {
      status: answer.status,
      body: (await answer.json()) as { errors?: { field: string }[] },
    };
  };

  it('are all accepted by GET /v1/audit, and an undocumented one is refused', async () => {
    const valid: Record<string, string> = {
      operation: 'kms.revokeGrant',
      actor: 'alice',
      result: 'revoked',
      requestId: 'r-1',
      since: '2020-01-01T00:00:00.000Z',
      until: '2100-01-01T00:00:00.000Z',
      limit: '10',
    };
    const names = AUDIT_QUERY_PARAMETERS.map((parameter) => parameter.name);
    // A cursor is only valid when the store made it: its bounds are checked below.
    for (const name of names.filter((name) => name !== 'cursor')) {
      const value = valid[name];
      assert.ok(value !== undefined, `a valid value for ${name}`);
      assert.equal((await query({ [name]: value })).status, 200, name);
    }
    const refused = await query({ sort: 'time' });
    assert.equal(refused.status, 400);
    assert.deepEqual(
      refused.body.errors?.map((error) => error.field),
      ['sort'],
    );
  });

  it('have the documented bounds', async () => {
    for (const { name, schema } of AUDIT_QUERY_PARAMETERS) {
      if (typeof schema.maxLength === 'number') {
        const longest = 'a'.repeat(schema.maxLength);
        const status = (await query({ [name]: longest })).status;
        // A cursor of the right length is still not a cursor the store made.
        if (name !== 'cursor') assert.equal(status, 200, `${name} at its maximum length`);
        const tooLong = await query({ [name]: `${longest}a` });
        assert.equal(tooLong.status, 400, `${name} over its maximum length`);
        assert.deepEqual(
          tooLong.body.errors?.map((error) => error.field),
          [name],
        );
      }
      if (typeof schema.maximum === 'number') {
        assert.equal((await query({ [name]: String(schema.maximum) })).status, 200);
        assert.equal((await query({ [name]: String(schema.maximum + 1) })).status, 400);
        assert.equal((await query({ [name]: '0' })).status, 400);
      }
      if (Array.isArray(schema.enum)) {
        for (const value of schema.enum as string[]) {
          assert.equal((await query({ [name]: value })).status, 200, `${name}=${value}`);
        }
        assert.equal((await query({ [name]: 'nonsense' })).status, 400);
      }
    }
  });
});

describe('real answers match the documented schemas', () => {
  it('a revocation, a problem, an audit page, readiness', async () => {
    const alice = await gw.token('alice');
    const grantId = 'b'.repeat(64);
    gw.sim.addKmsGrant(DEFAULT_PROJECT, KEY_ID, grantId);
    const kms = OPERATIONS.find((operation) => operation.name === 'kms.revokeGrant');
    assert.ok(kms);
    const url = `${gw.url}/v1/kms/keys/${KEY_ID}/grants/${grantId}`;
    const headers = { authorization: `Bearer ${alice}` };

    const revoked = await fetch(url, { method: 'DELETE', headers });
    assert.equal(revoked.status, 200);
    const revokedSchema = responseSchema(kms.path, 'delete', 200, 'application/json');
    assert.deepEqual(schemaErrors(revokedSchema, await revoked.json(), doc), []);

    const notFound = await fetch(url, { method: 'DELETE', headers });
    assert.equal(notFound.status, 404);
    const problemSchema = responseSchema(kms.path, 'delete', 404, 'application/problem+json');
    assert.deepEqual(schemaErrors(problemSchema, await notFound.json(), doc), []);

    const invalid = await fetch(`${gw.url}/v1/kms/keys/nope/grants/nope`, {
      method: 'DELETE',
      headers,
    });
    const invalidSchema = responseSchema(kms.path, 'delete', 400, 'application/problem+json');
    assert.deepEqual(schemaErrors(invalidSchema, await invalid.json(), doc), []);

    const auditor = await gw.token('auditor', []);
    const page = await fetch(`${gw.url}/v1/audit?limit=50`, {
      headers: { authorization: `Bearer ${auditor}` },
    });
    const pageBody = (await page.json()) as { items: unknown[] };
    assert.ok(pageBody.items.length >= 4);
    const pageSchema = responseSchema('/v1/audit', 'get', 200, 'application/json');
    assert.deepEqual(schemaErrors(pageSchema, pageBody, doc), []);

    const ready = await fetch(`${gw.url}/readyz`);
    const readySchema = responseSchema('/readyz', 'get', 200, 'application/json');
    assert.deepEqual(schemaErrors(readySchema, await ready.json(), doc), []);
  });
});
