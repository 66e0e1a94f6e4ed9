// The HTTP control API under /__sim/, for processes that cannot hold the programmatic handle
// (the CLI's users, benchmarks and crash tests that spawn the simulator). It is unauthenticated:
// the simulator listens on loopback and is a test fixture. Control calls are neither recorded
// nor subject to faults.
//
//   GET    /__sim/calls[?service=kms][&since=<seq>]  → 200 {"calls":[RecordedCall…]} (seq > since)
//   DELETE /__sim/calls                              → 204
//   POST   /__sim/faults      FaultSpec JSON          → 201 {"pending":n}; count may be "Infinity"
//   DELETE /__sim/faults                             → 204
//   POST   /__sim/resources   SimResources JSON       → 201 {"added":{…per list}}
//            {"scmPrivacy":[{"projectId","certId"}], "csrs":[{"csrId","domain"?}],
//             "apigCertificates":[{"projectId","certificateId","bound"?}],
//             "kmsGrants":[{"projectId","keyId","grantId"}],
//             "modelartsAuthorizations":[{"projectId","userId"}]}   (every list optional)
//   GET    /__sim/has?kind=kmsGrant&id=<projectId>&id=<keyId>&id=<grantId> → 200 {"has":bool}
//   POST   /__sim/tokens/revoke                      → 204 (revokeAllTokens)
//   GET    /__sim/stats → 200 {"issuedTokens","calls":{per service},"recordedCalls","pendingFaults"}
import { FaultSpecError, parseFaultSpec } from './faults.ts';
import { JSON_TYPE } from './envelopes.ts';
import type { SimResponse } from './envelopes.ts';
import { RESOURCE_ID_NAMES } from './resource-store.ts';
import { SIM_SERVICES } from './simulator-types.ts';
import type {
  FaultSpec,
  RecordedCall,
  SimResourceKind,
  SimResources,
  SimService,
} from './simulator-types.ts';

export const CONTROL_PREFIX = '/__sim/';

/** What the control API drives; the simulator implements it. */
export interface ControlTarget {
  listCalls(filter: { service?: SimService; afterSeq?: number }): RecordedCall[];
  clearCalls(): void;
  injectFault(fault: FaultSpec): number;
  clearFaults(): void;
  addResources(resources: SimResources): void;
  has(kind: SimResourceKind, ids: string[]): boolean;
  revokeAllTokens(): void;
  stats(): Record<string, unknown>;
}

const json = (status: number, body: unknown): SimResponse => ({
  status,
  body: JSON.stringify(body),
  headers: { 'Content-Type': JSON_TYPE },
});
const problem = (status: number, error: string, problems?: readonly string[]): SimResponse =>
  json(status, problems === undefined ? { error } : { error, problems });

const ROUTES: Record<
  string,
  Partial<Record<string, (t: ControlTarget, q: URLSearchParams, body: string) => SimResponse>>
> = {
  calls: {
    GET: (target, query) => {
      const service = query.get('service');
      if (service !== null && !SIM_SERVICES.includes(service as SimService)) {
        return problem(400, `service must be one of ${SIM_SERVICES.join(', ')}`);
      }
      const since = query.get('since');
      const afterSeq = since === null ? undefined : Number(since);
      if (afterSeq !== undefined && !Number.isInteger(afterSeq))
        return problem(400, 'since must be an integer');
      return json(200, {
        calls: target.listCalls({
          ...(service === null ? {} : { service: service as SimService }),
          ...(afterSeq === undefined ? {} : { afterSeq }),
        }),
      });
    },
    DELETE: (target) => {
      target.clearCalls();
      return { status: 204 };
    },
  },
  faults: {
    POST: (target, _query, body) => {
      const parsed = parseJson(body);
      if (parsed instanceof Error) return problem(400, parsed.message);
      try {
        return json(201, { pending: target.injectFault(parseFaultSpec(parsed)) });
      } catch (error) {
        if (error instanceof FaultSpecError) return problem(400, 'invalid fault', error.problems);
        throw error;
      }
    },
    DELETE: (target) => {
      target.clearFaults();
      return { status: 204 };
    },
  },
  resources: {
    POST: (target, _query, body) => {
      const parsed = parseJson(body);
      if (parsed instanceof Error) return problem(400, parsed.message);
      const resources = parseResources(parsed);
      if (Array.isArray(resources)) return problem(400, 'invalid resources', resources);
      target.addResources(resources);
      const added = Object.fromEntries(
        Object.entries(resources).map(([k, v]) => [k, (v as unknown[]).length]),
      );
      return json(201, { added });
    },
  },
  has: {
    GET: (target, query) => {
      const kind = query.get('kind') ?? '';
      if (!(kind in RESOURCE_ID_NAMES)) {
        return problem(400, `kind must be one of ${Object.keys(RESOURCE_ID_NAMES).join(', ')}`);
      }
      const ids = query.getAll('id');
      const names = RESOURCE_ID_NAMES[kind as SimResourceKind];
      if (ids.length !== names.length)
        return problem(400, `kind ${kind} takes id=${names.join('&id=')}`);
      return json(200, { has: target.has(kind as SimResourceKind, ids) });
    },
  },
  'tokens/revoke': {
    POST: (target) => {
      target.revokeAllTokens();
      return { status: 204 };
    },
  },
  stats: { GET: (target) => json(200, target.stats()) },
};

export function handleControl(
  target: ControlTarget,
  method: string,
  path: string,
  query: URLSearchParams,
  body: string,
): SimResponse {
  const route = ROUTES[path.slice(CONTROL_PREFIX.length)];
  if (route === undefined) return problem(404, `no control route ${path}`);
  const handler = route[method];
  if (handler === undefined) {
    const answer = problem(405, `${method} is not allowed on ${path}`);
    return { ...answer, headers: { ...answer.headers, Allow: Object.keys(route).join(', ') } };
  }
  return handler(target, query, body);
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return new Error('the body must be JSON');
  }
}

// Each list, the string fields every item needs, and the optional ones with their type.
const RESOURCE_LISTS: Record<
  keyof SimResources,
  { required: string[]; optional: Record<string, 'string' | 'boolean'> }
> = {
  scmPrivacy: { required: ['projectId', 'certId'], optional: {} },
  csrs: { required: ['csrId'], optional: { domain: 'string' } },
  apigCertificates: { required: ['projectId', 'certificateId'], optional: { bound: 'boolean' } },
  kmsGrants: { required: ['projectId', 'keyId', 'grantId'], optional: {} },
  modelartsAuthorizations: { required: ['projectId', 'userId'], optional: {} },
};

/** The resources, or every problem found. */
export function parseResources(input: unknown): SimResources | string[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return ['the body must be an object'];
  const problems: string[] = [];
  for (const [list, items] of Object.entries(input)) {
    const shape = RESOURCE_LISTS[list as keyof SimResources] as
      (typeof RESOURCE_LISTS)[keyof SimResources] | undefined;
    if (shape === undefined) {
      problems.push(`unknown list "${list}"; expected ${Object.keys(RESOURCE_LISTS).join(', ')}`);
      continue;
    }
    if (!Array.isArray(items)) {
      problems.push(`${list} must be an array`);
      continue;
    }
    items.forEach((item: unknown, i) => {
      if (typeof item !== 'object' || item === null) {
        problems.push(`${list}[${i}] must be an object`);
        return;
      }
      const record = item as Record<string, unknown>;
      for (const field of shape.required) {
        if (typeof record[field] !== 'string' || record[field] === '') {
          problems.push(`${list}[${i}].${field} must be a non-empty string`);
        }
      }
      for (const field of Object.keys(record)) {
        if (shape.required.includes(field)) continue;
        const type = shape.optional[field];
        if (type === undefined) problems.push(`${list}[${i}] has unknown field "${field}"`);
        else if (typeof record[field] !== type)
          problems.push(`${list}[${i}].${field} must be a ${type}`);
      }
    });
  }
  return problems.length > 0 ? problems : input;
}
