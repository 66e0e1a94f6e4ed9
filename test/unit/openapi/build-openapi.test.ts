import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { format, resolveConfig } from 'prettier';
import { buildOpenApi } from '../../../src/openapi/build-openapi.ts';
import { OPERATIONS } from '../../../src/operations/catalog.ts';
import { PROJECT_ALIAS } from '../../../src/operations/param-rules.ts';
import { PROBLEMS, PROBLEM_CODES } from '../../../src/problems/catalog.ts';
import { schemaErrors } from './check-schema.ts';

const SNAPSHOT = 'test/fixtures/openapi/openapi.snapshot.json';

type Doc = Record<string, unknown> & {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};
interface Operation {
  operationId: string;
  security?: unknown[];
  'x-permission'?: string;
  parameters?: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

/** The snapshot's gateway serves two projects, as in the configuration example of the README. */
const doc = buildOpenApi('jwt', ['eu', 'default']) as Doc;

async function validate(document: object) {
  const validator = new Validator();
  return validator.validate(structuredClone(document) as Record<string, unknown>);
}

describe('the OpenAPI document', () => {
  for (const mode of ['jwt', 'trusted-headers'] as const) {
    it(`is a valid OpenAPI 3.1 document in ${mode} mode`, async () => {
      const result = await validate(buildOpenApi(mode));
      assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    });
  }

  it('documents project as the enum of the configured aliases, default first', () => {
    for (const item of Object.values(doc.paths)) {
      if (item.delete === undefined) continue;
      const project = item.delete.parameters?.find((entry) => entry.name === 'project');
      assert.equal(project?.in, 'query');
      assert.equal(project.required, false);
      assert.deepEqual(project.schema.enum, ['default', 'eu']);
      assert.equal(project.schema.default, 'default');
    }
    const single = buildOpenApi('jwt', ['default']) as Doc;
    const [first] = Object.values(single.paths);
    const project = first?.delete?.parameters?.find((entry) => entry.name === 'project');
    assert.deepEqual(project?.schema.enum, ['default']);
  });

  it('is refused by the validator when broken, so the check above can fail', async () => {
    const broken = structuredClone(doc);
    const [first] = Object.values(broken.paths);
    const operation = first?.delete;
    assert.ok(operation?.parameters?.[0]);
    operation.parameters[0].in = 'body';
    assert.equal((await validate(broken)).valid, false);
  });

  it('equals the snapshot; any change shows here (UPDATE_SNAPSHOTS=1 rewrites it)', async () => {
    if (process.env.UPDATE_SNAPSHOTS === '1') {
      // Written as the repository's Prettier writes JSON, so that the lint stays clean.
      const options = await resolveConfig(SNAPSHOT);
      mkdirSync(dirname(SNAPSHOT), { recursive: true });
      writeFileSync(SNAPSHOT, await format(JSON.stringify(doc), { ...options, parser: 'json' }));
    }
    assert.deepEqual(doc, JSON.parse(readFileSync(SNAPSHOT, 'utf8')));
  });

  it('documents every operation with its permission, parameters and their patterns', () => {
    for (const operation of OPERATIONS) {
      const documented = doc.paths[operation.path]?.delete;
      assert.ok(documented, `DELETE ${operation.path}`);
      assert.equal(documented.operationId, operation.name);
      assert.equal(documented['x-permission'], operation.name);
      const parameters = new Map(documented.parameters?.map((p) => [`${p.in}:${p.name}`, p]));
      const rules = [
        ...Object.entries(operation.pathParams).map(
          ([name, rule]) => ['path', name, rule] as const,
        ),
        ...Object.entries(operation.queryParams).map(
          ([name, rule]) => ['query', name, rule] as const,
        ),
      ];
      for (const [where, name, rule] of rules) {
        const parameter = parameters.get(`${where}:${name}`);
        assert.equal(parameter?.required, true, `${operation.name} ${name} is required`);
        assert.equal(parameter.schema.pattern, rule.pattern.source);
        const not = parameter.schema.not as { pattern?: string } | undefined;
        if (rule.forbidden === undefined) {
          assert.equal(not, undefined, `${name} refuses nothing beyond its pattern`);
        } else {
          const refused = new RegExp(not?.pattern ?? '(?!)');
          for (const { value } of rule.forbidden) {
            assert.ok(refused.test(value), `${name} refuses ${value}`);
            assert.ok(refused.test(value.toUpperCase()), `${name} refuses ${value} in any case`);
          }
          assert.ok(!refused.test(rule.example), `${name} accepts its example`);
        }
      }
      assert.equal(parameters.get('query:project')?.schema.pattern, PROJECT_ALIAS.pattern.source);
      assert.equal(parameters.size, rules.length + 2, 'the rules, project and X-Request-Id');
    }
  });

  it("answers every revocation problem's status with its codes, as problem+json", () => {
    for (const operation of OPERATIONS) {
      const responses = doc.paths[operation.path]?.delete?.responses ?? {};
      for (const code of PROBLEM_CODES) {
        if (code === 'ROUTE_NOT_FOUND' || code === 'METHOD_NOT_ALLOWED') continue;
        const response = responses[String(PROBLEMS[code].status)];
        const schema = response?.content?.['application/problem+json']?.schema;
        assert.ok(schema, `${operation.name} documents ${String(PROBLEMS[code].status)}`);
        const problem = {
          type: 'urn:rescind:problem:x',
          title: 't',
          status: PROBLEMS[code].status,
          code,
        };
        assert.deepEqual(schemaErrors(schema, problem, doc), [], `${operation.name} ${code}`);
      }
    }
  });

  it('describes the success body closely enough to refuse a wrong one', () => {
    const kms = OPERATIONS.find((operation) => operation.name === 'kms.revokeGrant');
    assert.ok(kms);
    const schema =
      doc.paths[kms.path]?.delete?.responses['200']?.content?.['application/json']?.schema;
    const body = {
      result: 'revoked',
      operation: 'kms.revokeGrant',
      project: 'default',
      target: { keyId: '0d0466b0-e727-4d9c-b35d-f84bb474a37f', grantId: 'a'.repeat(64) },
      requestId: 'r',
      auditId: 'a',
      upstream: { service: 'kms', status: 200 },
    };
    assert.deepEqual(schemaErrors(schema, body, doc), []);
    const { auditId: _auditId, ...withoutAuditId } = body;
    assert.deepEqual(schemaErrors(schema, withoutAuditId, doc), ['$.auditId is missing']);
    assert.notDeepEqual(
      schemaErrors(schema, { ...body, operation: 'scm.deleteCsr' }, doc),
      [],
      'another operation',
    );
    assert.notDeepEqual(
      schemaErrors(schema, { ...body, target: { keyId: 'x', grantId: 'y' } }, doc),
      [],
      'a target that breaks the patterns',
    );
  });

  it('names the security scheme of the identity mode; the probes need none', () => {
    assert.deepEqual(doc.components.securitySchemes.caller, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'A JWT from the company SSO',
    });
    const trusted = buildOpenApi('trusted-headers') as Doc;
    assert.equal(
      (trusted.components.securitySchemes.caller as { name: string }).name,
      'X-Forwarded-User',
    );
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) {
      assert.deepEqual(doc.paths[path]?.get?.security, [], path);
    }
    assert.equal(doc.paths['/v1/audit']?.get?.security, undefined, 'the audit API needs a caller');
  });

  it('lists every problem code in the Problem schema', () => {
    const problem = doc.components.schemas.Problem as {
      properties: { code: { enum: string[] } };
    };
    assert.deepEqual(problem.properties.code.enum, [...PROBLEM_CODES]);
  });
});
