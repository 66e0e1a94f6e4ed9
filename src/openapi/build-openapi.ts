// The OpenAPI 3.1 document, derived from the operation catalog and the problem catalog: a route,
// parameter pattern or error code cannot appear here without existing in the gateway.

import type { Config } from '../config/schema.ts';
import { OPERATIONS, type OperationSpec } from '../operations/catalog.ts';
import { PROJECT_ALIAS, type ParamRule } from '../operations/param-rules.ts';
import { PROBLEMS, PROBLEM_CODES, type ProblemCode } from '../problems/catalog.ts';
import { VERSION } from '../version.ts';

type Schema = Record<string, unknown>;

/** Problems a revocation route can answer with (everything but the non-revocation ones). */
const REVOCATION_PROBLEMS: readonly ProblemCode[] = PROBLEM_CODES.filter(
  (code) => code !== 'ROUTE_NOT_FOUND' && code !== 'METHOD_NOT_ALLOWED',
);

export function buildOpenApi(identityMode: Config['identity']['mode']): Schema {
  const paths: Record<string, Schema> = {};
  for (const operation of OPERATIONS) {
    paths[operation.path] = { delete: revocationOperation(operation) };
  }
  paths['/v1/audit'] = { get: auditOperation() };
  paths['/healthz'] = { get: plainOperation('health', 'The process runs') };
  paths['/readyz'] = {
    get: plainOperation('readiness', 'Every dependency is ready (503 lists the reasons)'),
  };
  paths['/metrics'] = { get: plainOperation('metrics', 'Prometheus text exposition') };
  paths['/openapi.json'] = { get: plainOperation('openapi', 'This document') };

  return {
    openapi: '3.1.0',
    info: {
      title: 'Rescind',
      version: VERSION,
      description:
        'Audited revocation gateway for Huawei Cloud. Every revocation is authenticated, ' +
        'authorized, rate limited and written to a durable audit trail before the cloud is called.',
    },
    security: [{ caller: [] }],
    paths,
    components: {
      securitySchemes: {
        caller:
          identityMode === 'jwt'
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
                  'Set by the trusted SSO proxy together with X-Forwarded-Email and X-Forwarded-Groups',
              },
      },
      schemas: {
        Revoked: revokedSchema(),
        Problem: problemSchema(),
      },
      responses: Object.fromEntries(
        PROBLEM_CODES.map((code) => [
          code,
          {
            description: `${PROBLEMS[code].title}: ${PROBLEMS[code].when}`,
            content: {
              'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
            },
          },
        ]),
      ),
    },
  };
}

function revocationOperation(operation: OperationSpec): Schema {
  const parameters = [
    ...Object.entries(operation.pathParams).map(([name, rule]) =>
      parameter(name, 'path', rule, true),
    ),
    ...Object.entries(operation.queryParams).map(([name, rule]) =>
      parameter(name, 'query', rule, true),
    ),
    parameter('project', 'query', PROJECT_ALIAS, false),
    requestIdParameter(),
  ];
  return {
    operationId: operation.name,
    summary: operation.summary,
    tags: [operation.service],
    description: `Permission: \`${operation.name}\`. Upstream: ${operation.service.toUpperCase()}.`,
    parameters,
    responses: {
      '200': {
        description: 'Revoked; the outcome is durable in the audit trail',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Revoked' } } },
      },
      ...problemResponses(REVOCATION_PROBLEMS),
    },
  };
}

function auditOperation(): Schema {
  const text = (description: string) => ({ type: 'string', description });
  const query = (name: string, schema: Schema) => ({ name, in: 'query', required: false, schema });
  return {
    operationId: 'audit.read',
    summary: 'Query the audit trail (permission audit.read)',
    tags: ['audit'],
    parameters: [
      query('operation', text('operation name')),
      query('actor', text('caller subject')),
      query('result', {
        type: 'string',
        enum: [
          'revoked',
          'failed',
          'denied',
          'invalid',
          'unauthenticated',
          'rate-limited',
          'unknown',
        ],
      }),
      query('requestId', text('request id')),
      query('since', { type: 'string', format: 'date-time' }),
      query('until', { type: 'string', format: 'date-time' }),
      query('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }),
      query('cursor', text('opaque cursor from nextCursor')),
    ],
    responses: {
      '200': {
        description: 'A page of records; with Accept: application/x-ndjson, every match as NDJSON',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['items', 'nextCursor'],
              properties: {
                items: { type: 'array', items: { type: 'object' } },
                nextCursor: { type: ['string', 'null'] },
              },
            },
          },
          'application/x-ndjson': { schema: { type: 'string' } },
        },
      },
      ...problemResponses([
        'INVALID_REQUEST',
        'UNAUTHENTICATED',
        'FORBIDDEN',
        'RATE_LIMITED',
        'INTERNAL',
      ]),
    },
  };
}

function plainOperation(operationId: string, description: string): Schema {
  return {
    operationId,
    security: [],
    responses: { '200': { description } },
  };
}

function parameter(
  name: string,
  where: 'path' | 'query',
  rule: ParamRule,
  required: boolean,
): Schema {
  const schema: Schema = { type: 'string', pattern: rule.pattern.source, example: rule.example };
  if (rule.forbidden && rule.forbidden.length > 0) {
    schema.not = { enum: rule.forbidden.map((entry) => entry.value) };
  }
  return { name, in: where, required, description: rule.description, schema };
}

function requestIdParameter(): Schema {
  return {
    name: 'X-Request-Id',
    in: 'header',
    required: false,
    description: 'Kept when safe (1–128 of [A-Za-z0-9._:-]), else replaced; echoed on the response',
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
    responses[String(status)] = {
      description: statusCodes.map((code) => `${code}: ${PROBLEMS[code].when}`).join('; '),
      content: {
        'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
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
      project: { type: 'string' },
      target: { type: 'object', additionalProperties: { type: 'string' } },
      requestId: { type: 'string' },
      auditId: { type: 'string' },
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
      type: { type: 'string', format: 'uri' },
      title: { type: 'string' },
      status: { type: 'integer' },
      code: { type: 'string', enum: [...PROBLEM_CODES] },
      detail: { type: 'string' },
      instance: { type: 'string' },
      requestId: { type: 'string' },
      auditId: { type: 'string' },
      upstream: {
        type: 'object',
        required: ['service'],
        properties: {
          service: { type: 'string' },
          status: { type: 'integer' },
          code: { type: 'string' },
          message: { type: 'string', maxLength: 1024 },
          requestId: { type: 'string' },
        },
      },
      errors: {
        type: 'array',
        items: {
          type: 'object',
          required: ['field', 'message'],
          properties: { field: { type: 'string' }, message: { type: 'string' } },
        },
      },
    },
  };
}
