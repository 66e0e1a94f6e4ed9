// Shared by the fault, caller, rate-limit and leak component tests: fresh revocation targets in
// the simulator, one HTTP call to the gateway, the audit records of a request, and the checks
// every problem answer must pass.

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { OperationName } from '../../src/operations/catalog.ts';
import type { Simulator } from '../../src/simulator/index.ts';
import {
  OPERATION_FIXTURES,
  type SeededRevocation,
  type SeedOptions,
} from '../fixtures/operations.ts';
import { DEFAULT_PROJECT, type TestGateway } from '../helpers/gateway.ts';
import { send, toAnswer, type Answer } from '../helpers/http.ts';
import { expectProblem, problemTypeOf } from '../helpers/problems.ts';

export { FIXTURE_OPERATIONS } from '../fixtures/operations.ts';
export type { OperationName };
/** A revocation target of the default project. */
export type Target = SeededRevocation;
export type TargetOptions = SeedOptions;

/** A resource no other test touches, added to the default project (unless `exists` is false). */
export function createTarget(
  sim: Simulator,
  operation: OperationName,
  options: SeedOptions = {},
): SeededRevocation {
  return OPERATION_FIXTURES[operation].seed(sim, DEFAULT_PROJECT, {}, options);
}

export type { Answer };

export interface CallOptions {
  readonly method?: string;
  /** A caller JWT, sent as `Authorization: Bearer …`. */
  readonly token?: string;
  readonly headers?: Record<string, string>;
}

export async function call(
  gw: TestGateway,
  path: string,
  options: CallOptions = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  return send(`${gw.url}${path}`, { method: options.method ?? 'DELETE', headers });
}

/** An audit record as GET /v1/audit returns it (the fields these tests read). */
export interface AuditItem {
  readonly id: string;
  readonly phase: string;
  readonly operation: string;
  readonly actor: {
    readonly subject: string | null;
    readonly email: string | null;
    readonly groups: string[];
    readonly via: string | null;
  };
  readonly outcome?: Record<string, unknown>;
}

export interface OutcomeItem extends AuditItem {
  readonly outcome: Record<string, unknown>;
}

export interface Reader {
  readonly subject: string;
  readonly groups: string[];
}

/** TEST_RULES grant the subject `auditor` the `audit.read` permission. */
export const AUDITOR: Reader = { subject: 'auditor', groups: [] };

/** Every audit record of one request, read through GET /v1/audit as an `audit.read` caller. */
export async function auditRecordsOf(
  gw: TestGateway,
  requestId: string,
  reader: Reader = AUDITOR,
): Promise<AuditItem[]> {
  const auditor = await gw.token(reader.subject, reader.groups);
  const answer = await call(gw, `/v1/audit?requestId=${encodeURIComponent(requestId)}`, {
    method: 'GET',
    token: auditor,
  });
  assert.equal(answer.status, 200, `GET /v1/audit answered ${answer.text}`);
  const items = answer.body.items;
  assert.ok(Array.isArray(items));
  return items as AuditItem[];
}

/** The one outcome record of a request (asserting there is exactly one). */
export async function auditOutcomeRecordOf(
  gw: TestGateway,
  requestId: string,
  reader: Reader = AUDITOR,
): Promise<OutcomeItem> {
  const records = await auditRecordsOf(gw, requestId, reader);
  const outcomes = records.filter(
    (record): record is OutcomeItem => record.phase === 'outcome' && record.outcome !== undefined,
  );
  assert.equal(outcomes.length, 1, `expected one outcome record for ${requestId}`);
  const [record] = outcomes;
  assert.ok(record !== undefined);
  return record;
}

/** The `outcome` of a request's one outcome record. */
export async function auditOutcomeOf(
  gw: TestGateway,
  requestId: string,
  reader: Reader = AUDITOR,
): Promise<Record<string, unknown>> {
  const record = await auditOutcomeRecordOf(gw, requestId, reader);
  return record.outcome;
}

export { problemTypeOf };

/**
 * The shape every problem answer shares (docs/api.md "Errors"): status, media type, code, type, title,
 * request id (equal to the X-Request-Id header) and, on audited routes, the audit id.
 */
export function assertProblem(
  answer: Answer,
  status: number,
  code: string,
  options: { audited?: boolean } = {},
): void {
  expectProblem(answer, status, code, options);
}

/**
 * No stack trace, library error, internal address or credential in what a caller sees.
 * `secrets` are values that must not appear (tokens, JWTs, passwords).
 */
export function assertNothingInternal(
  gw: TestGateway,
  text: string,
  secrets: readonly string[] = [],
): void {
  const simPort = new URL(gw.sim.url).port;
  assert.ok(!text.includes('127.0.0.1'), 'no loopback address');
  assert.ok(!text.includes('localhost'), 'no host name');
  assert.ok(!text.includes(`:${simPort}`), 'no simulator port');
  assert.ok(!/ECONN|EPIPE|ETIMEDOUT|socket hang up/i.test(text), 'no network error text');
  assert.ok(!/\n\s+at |\.ts:\d+/.test(text), 'no stack trace');
  assert.ok(!text.includes('X-Auth-Token') && !/x-auth-token/i.test(text), 'no token header');
  for (const token of issuedTokens(gw.sim)) assert.ok(!text.includes(token), 'no IAM token');
  for (const secret of secrets) {
    assert.ok(secret.length >= 8, 'a secret searched for is long enough to mean something');
    assert.ok(!text.includes(secret), 'no caller credential or password');
  }
}

/** Every IAM token the simulator saw in a service call or issued to the gateway. */
export function issuedTokens(sim: Simulator): string[] {
  const tokens = new Set<string>();
  for (const recorded of sim.calls()) {
    if (recorded.token !== undefined && recorded.token !== '') tokens.add(recorded.token);
  }
  return [...tokens];
}

export { closedPort } from '../helpers/closed-port.ts';

/**
 * One request through node:http, for what fetch cannot send: a header given as an array goes
 * out as that many header lines (fetch would join them into one).
 */
export function rawRequest(
  gw: TestGateway,
  path: string,
  headers: Record<string, string | string[]>,
  method = 'DELETE',
): Promise<Answer> {
  const url = new URL(path, gw.url);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value === undefined) continue;
          for (const one of Array.isArray(value) ? value : [value])
            responseHeaders.append(name, one);
        }
        resolve(toAnswer(res.statusCode ?? 0, responseHeaders, text));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Writes `head` (request line and header lines, without the blank line) on a raw socket, for
 * what no HTTP client sends: the same header twice under different spellings. Returns the status
 * and body of the answer (the connection is closed after it).
 */
export function rawSocketRequest(
  gw: TestGateway,
  head: readonly string[],
): Promise<{ status: number; body: Record<string, unknown> }> {
  const { hostname, port } = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      // Not end(): a client that half-closes its side before the answer has its request
      // aborted by Node's HTTP server (httpAllowHalfOpen is false), whenever the answer waits
      // for anything asynchronous, as the audit record's commit on its worker thread.
      socket.write(`${[...head, 'Connection: close'].join('\r\n')}\r\n\r\n`);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const separator = text.indexOf('\r\n\r\n');
      resolve({
        status,
        body: toAnswer(status, new Headers(), separator === -1 ? '' : text.slice(separator + 4))
          .body,
      });
    });
  });
}
