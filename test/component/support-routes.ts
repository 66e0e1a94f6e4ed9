// Shared by the route, parameter, token and request-id component tests: a fresh resource in the
// simulator for every operation of the catalog (with the exact cloud call that revokes it), one
// HTTP call to the gateway as a caller makes it, the calls the simulator received since a mark,
// and the checks every success and problem answer must pass.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  DEMO_PROJECTS,
  type RecordedCall,
  type SimService,
  type Simulator,
} from '../../src/simulator/index.ts';
import { DEFAULT_PROJECT, type TestGateway } from '../helpers/gateway.ts';
import { send, type Answer } from '../helpers/http.ts';
export { eventually } from '../helpers/wait.ts';
import { expectProblem, type Problem, type UpstreamSummary } from '../helpers/problems.ts';

export { DEFAULT_PROJECT };
export const EU_PROJECT = DEMO_PROJECTS[1]?.id ?? '';

/** The second project of docs/api.md "Configuration" example, aliased `eu`. */
export const EU_CONFIG = {
  cloud: { projects: { eu: { id: EU_PROJECT, region: 'eu-west-101' } } },
} as const;

import { OPERATION_FIXTURES, type SeededRevocation } from '../fixtures/operations.ts';
import type { OperationName } from '../../src/operations/catalog.ts';

export {
  OPERATION_FIXTURES,
  uniqueGrantId,
  uniqueId,
  uniqueKeyId,
  type SeedRevocation,
  type SeededRevocation,
} from '../fixtures/operations.ts';

/** A fresh resource of `operation` in the simulator's default project. */
export function seedDefault(sim: Simulator, operation: OperationName): SeededRevocation {
  return OPERATION_FIXTURES[operation].seed(sim, DEFAULT_PROJECT);
}

/** `path` with `parameter` added to its query. */
export function withQuery(path: string, parameter: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}${parameter}`;
}

// ---------------------------------------------------------------------------------------------
// Calling the gateway

export interface CallOptions {
  readonly method?: string;
  /** A caller JWT; null sends no Authorization header. Default: a `secops` token of alice. */
  readonly token?: string | null;
  readonly requestId?: string;
  readonly traceparent?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Abandon the call after this many ms (the test then fails on the abort). */
  readonly timeoutMs?: number;
}

export type { Answer };

const defaultTokens = new WeakMap<TestGateway, Promise<string>>();

/** The JWT tests call with unless they say otherwise: alice in `secops` (may do everything). */
export function secopsToken(gw: TestGateway): Promise<string> {
  let token = defaultTokens.get(gw);
  if (token === undefined) {
    token = gw.token('alice', ['secops']);
    defaultTokens.set(gw, token);
  }
  return token;
}

export async function call(
  gw: TestGateway,
  path: string,
  options: CallOptions = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? await secopsToken(gw) : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (options.requestId !== undefined) headers['x-request-id'] = options.requestId;
  if (options.traceparent !== undefined) headers.traceparent = options.traceparent;
  Object.assign(headers, options.headers);
  return send(`${gw.url}${path}`, {
    method: options.method ?? 'DELETE',
    headers,
    ...(options.body === undefined ? {} : { body: options.body }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
}

/** A caller's revocation of a fresh resource of `operation` (see seedDefault). */
export function callFresh(
  gw: TestGateway,
  operation: OperationName,
  options: CallOptions = {},
): Promise<Answer> {
  return call(gw, seedDefault(gw.sim, operation).path, options);
}

// ---------------------------------------------------------------------------------------------
// What the caller sees

export interface Revoked {
  readonly result: string;
  readonly operation: string;
  readonly project: string;
  readonly target: Record<string, string>;
  readonly requestId: string;
  readonly auditId: string;
  readonly upstream: UpstreamSummary;
}

/** A 200 `application/json` success whose request id is the echoed one. */
export function expectRevoked(answer: Answer): Revoked {
  assert.equal(answer.status, 200, `expected 200, got ${String(answer.status)} ${answer.text}`);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json(;|$)/);
  const body = answer.json as Revoked;
  assert.equal(body.result, 'revoked');
  assert.equal(body.requestId, answer.requestId);
  assert.equal(typeof body.auditId, 'string');
  assert.notEqual(body.auditId, '');
  return body;
}

export { expectProblem, type Problem, type UpstreamSummary };

/** The fields a validation problem names, sorted. */
export function fieldsOf(problem: Problem): string[] {
  return (problem.errors ?? []).map((error) => error.field).sort();
}

/**
 * A problem naming exactly `fields` (in any order): by default 400 INVALID_REQUEST, the answer to
 * a request that breaks a parameter rule.
 */
export function expectInvalid(
  answer: Answer,
  fields: readonly string[],
  problem: { readonly status: number; readonly code: string } = {
    status: 400,
    code: 'INVALID_REQUEST',
  },
): Problem {
  const body = expectProblem(answer, problem.status, problem.code);
  assert.deepEqual(fieldsOf(body), [...fields].sort());
  return body;
}

// ---------------------------------------------------------------------------------------------
// What the simulator received

/** The highest call number the simulator has recorded so far (0 before any call). */
export function markCalls(sim: Simulator): number {
  return sim.calls().reduce((highest, recorded) => Math.max(highest, recorded.seq), 0);
}

/** The calls the simulator received after `mark`, oldest first. */
export function callsSince(
  sim: Simulator,
  mark: number,
  filter: { readonly service?: SimService } = {},
): RecordedCall[] {
  return sim
    .calls(filter)
    .filter((recorded) => recorded.seq > mark)
    .sort((a, b) => a.seq - b.seq);
}

/** Calls to the cloud services (not IAM) after `mark`. */
export function serviceCallsSince(sim: Simulator, mark: number): RecordedCall[] {
  return callsSince(sim, mark).filter((recorded) => recorded.service !== 'iam');
}

/** IAM token requests after `mark`. */
export function iamCallsSince(sim: Simulator, mark: number): RecordedCall[] {
  return callsSince(sim, mark, { service: 'iam' });
}

/** The one cloud-service call after `mark` (asserting there is exactly one). */
export function onlyServiceCallSince(sim: Simulator, mark: number): RecordedCall {
  const calls = serviceCallsSince(sim, mark);
  assert.equal(
    calls.length,
    1,
    `expected one service call, got ${calls.map((c) => `${c.method} ${c.path}`).join('; ')}`,
  );
  return calls[0]!;
}

// ---------------------------------------------------------------------------------------------
// Ids of our own

/** A W3C trace id or parent id: `bytes` random bytes as lower-case hex. */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** A caller's `traceparent` and the trace id the gateway must continue. */
export function callerTrace(): { readonly traceparent: string; readonly traceId: string } {
  const traceId = randomHex(16);
  return { traceparent: `00-${traceId}-${randomHex(8)}-01`, traceId };
}
