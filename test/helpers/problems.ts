// The checks every problem+json answer must pass (docs/api.md "Errors").

import assert from 'node:assert/strict';
import type { UpstreamSummary } from '../../src/problems/problem-error.ts';
import type { Answer } from './http.ts';

export type { UpstreamSummary };

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
  readonly instance: string;
  readonly requestId: string;
  readonly auditId?: string;
  readonly upstream?: UpstreamSummary;
  readonly errors?: readonly { readonly field: string; readonly message: string }[];
}

/** The `type` URN of an error code. */
export function problemTypeOf(code: string): string {
  return `urn:rescind:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}

/**
 * A problem+json answer of `status` and `code` whose request id is the echoed one; `audited`
 * (default true) also requires the audit id.
 */
export function expectProblem(
  answer: Answer,
  status: number,
  code: string,
  options: { readonly audited?: boolean } = {},
): Problem {
  assert.equal(
    answer.status,
    status,
    `expected ${String(status)} ${code}, got ${String(answer.status)} ${answer.text}`,
  );
  assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json(;|$)/);
  const problem = answer.body as unknown as Problem;
  assert.equal(problem.status, status);
  assert.equal(problem.code, code);
  assert.equal(problem.type, problemTypeOf(code));
  assert.equal(typeof problem.title, 'string');
  assert.notEqual(answer.requestId, '', 'X-Request-Id is echoed');
  assert.equal(problem.requestId, answer.requestId);
  if (options.audited ?? true) {
    assert.equal(typeof problem.auditId, 'string', 'an audited request names its audit id');
  }
  return problem;
}
