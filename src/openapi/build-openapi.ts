// The OpenAPI 3.1 document, derived from the operation catalog, the parameter rules and the
// problem catalog: a route, parameter pattern or error code cannot appear here without existing
// in the gateway, and a test checks the reverse against the app's own routes.

import { z } from 'zod';
import { AUDIT_QUERY_SCHEMA } from '../audit/audit-query-schema.ts';
import { AUDIT_RECORD_SCHEMA } from '../audit/audit-record-schema.ts';
import type { Config } from '../config/schema.ts';
import { OPERATIONS, type OperationSpec } from '../operations/catalog.ts';
import { PROJECT_ALIAS, type ParamRule } from '../operations/param-rules.ts';
import { PROBLEMS, PROBLEM_CODES, type ProblemCode } from '../problems/catalog.ts';
import { VERSION } from '../version.ts';

type Schema = Record<string, unknown>;

const AUDIT_PATH = '/v1/audit';
const AUDIT_REPORT_PATH = '/v1/audit/report';

/** Problems a revocation route can answer with (everything but the non-revocation ones). */
const REVOCATION_PROBLEMS: readonly ProblemCode[] = PROBLEM_CODES.filter(
  (code) => code !== 'ROUTE_NOT_FOUND' && code !== 'METHOD_NOT_ALLOWED',
);

const AUDIT_PROBLEMS: readonly ProblemCode[] = [
  'INVALID_REQUEST',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'RATE_LIMITED',
  'INTERNAL',
  'AUDIT_UNAVAILABLE',
];

/**
 * The query parameters of GET /v1/audit, read from the schema the route
 * (src/http/audit-query-routes.ts) validates with (it
 * refuses any other); the component test probes each bound against the live route.
 */
export const AUDIT_QUERY_PARAMETERS: readonly {
  readonly name: string;
  readonly description: string;
  readonly schema: Schema;
}[] = Object.entries(propertiesOf(jsonSchemaOf(AUDIT_QUERY_SCHEMA))).map(([name, property]) => {
  const { description, ...schema } = property;
  return { name, description: String(description), schema };
});

/**
 * `projectAliases` are the configured ones (`cloud.projects`): the `project` parameter is
 * documented as exactly that enum, so a client sees which projects this gateway serves.
 */
export function buildOpenApi(
  identityMode: Config['identity']['mode'],
  projectAliases: readonly string[] = ['default'],
): Schema {
  const paths: Record<string, Schema> = {};
  for (const operation of OPERATIONS) {
    const item = (paths[operation.path] ??= {});
    if ('delete' in item) throw new Error(`two operations share DELETE ${operation.path}`);
    item.delete = revocationOperation(operation, projectAliases);
  }
  paths[AUDIT_PATH] = { get: auditOperation() };
  paths[AUDIT_REPORT_PATH] = { get: auditReportOperation() };
  paths['/healthz'] = { get: healthOperation() };
  paths['/readyz'] = { get: readinessOperation() };
  paths['/metrics'] = { get: metricsOperation() };
  paths['/openapi.json'] = { get: openApiOperation() };

  return {
    openapi: '3.1.0',
    info: {
      title: 'Rescind',
      version: VERSION,
      description:
        'Audited revocation gateway for Huawei Cloud. Every revocation is authenticated, ' +
        'rate limited, validated, authorized and written to a durable audit trail before the ' +
        'cloud is called. Every answer carries `X-Request-Id`; every error is RFC 9457 problem ' +
        'details (`application/problem+json`). A path the gateway does not know is ' +
        '404 `ROUTE_NOT_FOUND`; a known path with another method is 405 `METHOD_NOT_ALLOWED` ' +
        'with `Allow`.',
    },
    tags: [
      ...[...new Set(OPERATIONS.map((operation) => operation.service))].map((service) => ({
        name: service,
        description: `Revocations in ${service.toUpperCase()}`,
      })),
      { name: 'audit', description: 'The audit trail' },
      { name: 'operations', description: 'Probes, metrics and this document' },
    ],
    security: [{ caller: [] }],
    paths,
    components: {
      securitySchemes: { caller: securityScheme(identityMode) },
      schemas: {
        Revoked: revokedSchema(),
        Problem: problemSchema(),
        AuditRecord: jsonSchemaOf(AUDIT_RECORD_SCHEMA),
        Readiness: readinessSchema(),
      },
      headers: {
        'X-Request-Id': {
          description:
            "The request's id: the caller's `X-Request-Id` when safe, else a new UUID. Logged, audited and sent upstream.",
          schema: { type: 'string' },
        },
        'Retry-After': {
          description: 'Seconds to wait before trying again',
          schema: { type: 'integer', minimum: 1 },
        },
      },
    },
  };
}

function securityScheme(identityMode: Config['identity']['mode']): Schema {
  return identityMode === 'jwt'
    ? {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'A JWT from the company SSO',
      }
    : {
        type: 'apiKey',
        in: 'header',
        name: 'X-Forwarded-User',
        description:
          'Set by the trusted SSO proxy together with X-Forwarded-Email and X-Forwarded-Groups; believed only from the trusted proxies',
      };
}

function revocationOperation(operation: OperationSpec, projectAliases: readonly string[]): Schema {
  const pathParams = Object.entries(operation.pathParams);
  const queryParams = Object.entries(operation.queryParams);
  const parameters = [
    ...pathParams.map(([name, rule]) => parameter(name, 'path', rule, true)),
    ...queryParams.map(([name, rule]) => parameter(name, 'query', rule, true)),
    projectParameter(projectAliases),
    requestIdParameter(),
  ];
  const target = [...pathParams, ...queryParams];
  return {
    operationId: operation.name,
    summary: operation.summary,
    tags: [operation.service],
    description:
      `Permission: \`${operation.name}\`. Upstream: ${operation.service.toUpperCase()}. ` +
      'The outcome record is durable in the audit trail before the answer is sent.',
    'x-permission': operation.name,
    parameters,
    responses: {
      '200': {
        description: 'Revoked; the outcome is durable in the audit trail',
        headers: { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' } },
        content: {
          'application/json': {
            schema: {
              allOf: [{ $ref: '#/components/schemas/Revoked' }],
              properties: {
                operation: { const: operation.name },
                target: {
                  type: 'object',
                  required: target.map(([name]) => name),
                  properties: Object.fromEntries(
                    target.map(([name, rule]) => [name, ruleSchema(rule)]),
                  ),
                  additionalProperties: false,
                },
              },
            },
          },
        },
      },
      ...problemResponses(REVOCATION_PROBLEMS),
    },
  };
}

function auditOperation(): Schema {
  return {
    operationId: 'audit.read',
    summary: 'Query the audit trail',
    description:
      'Permission: `audit.read`. Records come in chain order (by chain, then seq). ' +
      'JSON pages by default; with `Accept: application/x-ndjson`, every match, one record per line.',
    tags: ['audit'],
    'x-permission': 'audit.read',
    parameters: [...AUDIT_QUERY_PARAMETERS.map(optionalQueryParameter), requestIdParameter()],
    responses: {
      '200': {
        description: 'A page of records; with Accept: application/x-ndjson, every match as NDJSON',
        headers: { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' } },
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['items', 'nextCursor'],
              properties: {
                items: { type: 'array', items: { $ref: '#/components/schemas/AuditRecord' } },
                nextCursor: { type: ['string', 'null'] },
              },
            },
          },
          'application/x-ndjson': {
            schema: { type: 'string', description: 'One AuditRecord as JSON per line' },
          },
        },
      },
      ...problemResponses(AUDIT_PROBLEMS),
    },
  };
}

/** An audit query parameter as an optional OpenAPI query parameter. */
function optionalQueryParameter(parameter: (typeof AUDIT_QUERY_PARAMETERS)[number]): Schema {
  const { name, description, schema } = parameter;
  return { name, in: 'query', required: false, description, schema };
}

function auditReportOperation(): Schema {
  return {
    operationId: 'audit.report',
    summary: 'The audit report: one self-contained HTML page',
    description:
      'Permission: `audit.read`. The page `npm run audit:report` writes: whether the trail is ' +
      'intact (and the first bad record when not), a timeline of requests by result, breakdowns ' +
      'by operation, caller, project and cloud error code, every mass revocation, and every ' +
      'record of the period. The whole trail is verified; the period bounds the rest.',
    tags: ['audit'],
    'x-permission': 'audit.read',
    parameters: [
      ...AUDIT_QUERY_PARAMETERS.filter(({ name }) => name === 'since' || name === 'until').map(
        optionalQueryParameter,
      ),
      requestIdParameter(),
    ],
    responses: {
      '200': {
        description:
          'The report. Its Content-Security-Policy allows only its own inline script and style.',
        headers: {
          'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
          'Content-Security-Policy': { schema: { type: 'string' } },
        },
        content: { 'text/html': { schema: { type: 'string' } } },
      },
      ...problemResponses(AUDIT_PROBLEMS),
    },
  };
}

function healthOperation(): Schema {
  return {
    operationId: 'health',
    summary: 'Liveness: the process runs and answers',
    tags: ['operations'],
    security: [],
    responses: {
      '200': {
        description: 'Alive',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['status'],
              properties: { status: { const: 'ok' } },
            },
          },
        },
      },
    },
  };
}

function readinessOperation(): Schema {
  const content = {
    'application/json': { schema: { $ref: '#/components/schemas/Readiness' } },
  };
  return {
    operationId: 'readiness',
    summary: 'Readiness: configuration loaded, audit recovery finished, stores usable',
    tags: ['operations'],
    security: [],
    responses: {
      '200': { description: 'Every dependency is ready', content },
      '503': { description: 'At least one dependency is not ready; the reasons say why', content },
    },
  };
}

function metricsOperation(): Schema {
  return {
    operationId: 'metrics',
    summary: 'Prometheus metrics (text exposition format)',
    tags: ['operations'],
    security: [],
    responses: {
      '200': {
        description: 'Every rescind_* metric, and the Node.js process metrics',
        content: { 'text/plain': { schema: { type: 'string' } } },
      },
    },
  };
}

function openApiOperation(): Schema {
  return {
    operationId: 'openapi',
    summary: 'This document',
    tags: ['operations'],
    security: [],
    responses: {
      '200': {
        description: 'OpenAPI 3.1',
        content: { 'application/json': { schema: { type: 'object' } } },
      },
    },
  };
}

function parameter(
  name: string,
  where: 'path' | 'query',
  rule: ParamRule,
  required: boolean,
): Schema {
  return { name, in: where, required, description: rule.description, schema: ruleSchema(rule) };
}

function projectParameter(aliases: readonly string[]): Schema {
  const sorted = [...aliases].sort((a, b) =>
    a === 'default' ? -1 : b === 'default' ? 1 : a < b ? -1 : 1,
  );
  return {
    name: 'project',
    in: 'query',
    required: false,
    description:
      'a project alias this gateway is configured with; without it, `default`. Another value is 400 INVALID_REQUEST',
    schema: {
      type: 'string',
      enum: sorted,
      default: 'default',
      pattern: PROJECT_ALIAS.pattern.source,
    },
  };
}

function ruleSchema(rule: ParamRule): Schema {
  const schema: Schema = { type: 'string', pattern: rule.pattern.source, examples: [rule.example] };
  if (rule.forbidden && rule.forbidden.length > 0) {
    // Forbidden values are refused in any letter case (see param-rules.ts).
    schema.not = {
      pattern: `^(${rule.forbidden.map((entry) => caseless(entry.value)).join('|')})$`,
    };
  }
  return schema;
}

/** `all` → `[aA][lL][lL]`: JSON Schema patterns have no case-insensitive flag. */
function caseless(value: string): string {
  return value.replace(/[a-z]/gi, (char) => `[${char.toLowerCase()}${char.toUpperCase()}]`);
}

function requestIdParameter(): Schema {
  return {
    name: 'X-Request-Id',
    in: 'header',
    required: false,
    description:
      'Kept when safe (1–128 of [A-Za-z0-9._:-], starting alphanumeric), else replaced; echoed on the response',
    schema: { type: 'string' },
  };
}

function problemResponses(codes: readonly ProblemCode[]): Record<string, Schema> {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of codes) {
    const status = PROBLEMS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, Schema> = {};
  for (const [status, statusCodes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const headers: Schema = { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' } };
    if (status === 429 || status === 503) {
      headers['Retry-After'] = { $ref: '#/components/headers/Retry-After' };
    }
    responses[String(status)] = {
      description: statusCodes.map((code) => `${code}: ${PROBLEMS[code].when}`).join('; '),
      headers,
      content: {
        'application/problem+json': {
          schema: {
            allOf: [{ $ref: '#/components/schemas/Problem' }],
            properties: { status: { const: status }, code: { enum: statusCodes } },
          },
        },
      },
    };
  }
  return responses;
}

function revokedSchema(): Schema {
  return {
    type: 'object',
    required: ['result', 'operation', 'project', 'target', 'requestId', 'auditId', 'upstream'],
    properties: {
      result: { const: 'revoked' },
      operation: { type: 'string', enum: OPERATIONS.map((op) => op.name) },
      project: { type: 'string', description: 'the project alias' },
      target: { type: 'object', additionalProperties: { type: 'string' } },
      requestId: { type: 'string' },
      auditId: { type: 'string', description: 'id of the outcome record in the audit trail' },
      upstream: {
        type: 'object',
        required: ['service', 'status'],
        properties: {
          service: { type: 'string' },
          status: { type: 'integer' },
          requestId: { type: 'string' },
        },
      },
    },
  };
}

function problemSchema(): Schema {
  return {
    type: 'object',
    description: 'RFC 9457 problem details',
    required: ['type', 'title', 'status', 'code'],
    properties: {
      type: { type: 'string', format: 'uri', examples: ['urn:rescind:problem:not-found'] },
      title: { type: 'string' },
      status: { type: 'integer' },
      code: { type: 'string', enum: [...PROBLEM_CODES] },
      detail: { type: 'string' },
      instance: { type: 'string' },
      requestId: { type: 'string' },
      auditId: { type: 'string', description: 'present whenever the request was audited' },
      upstream: {
        type: 'object',
        description: 'present when the cloud answered or was tried',
        required: ['service'],
        properties: {
          service: { type: 'string' },
          status: { type: 'integer' },
          code: { type: 'string' },
          message: { type: 'string', maxLength: 1024 },
          requestId: { type: 'string' },
          encodedAuthorizationMessage: {
            type: 'string',
            description:
              "IAM's encoded policy denial from the cloud's 403, as it gave it; decode it with IAM's decode-authorization API",
          },
        },
      },
      errors: {
        type: 'array',
        description: 'one entry per invalid field',
        items: {
          type: 'object',
          required: ['field', 'message'],
          properties: { field: { type: 'string' }, message: { type: 'string' } },
        },
      },
    },
  };
}

/**
 * A zod schema as the document's JSON Schema: what the value is once parsed (`limit` is the
 * number the route reads, not the digits sent), without the `$schema` line.
 */
function jsonSchemaOf(schema: z.ZodType): Schema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'output' });
  return rest;
}

function propertiesOf(schema: Schema): Record<string, Schema> {
  return schema.properties as Record<string, Schema>;
}

function readinessSchema(): Schema {
  return {
    type: 'object',
    required: ['status', 'checks'],
    properties: {
      status: { enum: ['ready', 'not-ready'] },
      checks: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name', 'ready', 'reasons'],
          properties: {
            name: { type: 'string' },
            ready: { type: 'boolean' },
            reasons: {
              type: 'array',
              items: { type: 'string', pattern: '^[a-z0-9-]+$' },
              description:
                'stable codes saying why it is not ready (e.g. `audit-store-not-durable`); the details are logged',
            },
            detail: { type: 'string' },
          },
        },
      },
    },
  };
}
