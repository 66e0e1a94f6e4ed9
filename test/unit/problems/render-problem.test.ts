import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROBLEMS, PROBLEM_CODES, problemType } from '../../../src/problems/catalog.ts';
import { ProblemError, toProblemError } from '../../../src/problems/problem-error.ts';
import { renderProblem } from '../../../src/problems/render-problem.ts';

describe('renderProblem', () => {
  it('renders RFC 9457 members with the catalog status and title', () => {
    const body = renderProblem(
      new ProblemError('NOT_FOUND', {
        detail: 'The grant does not exist.',
        upstream: { service: 'kms', status: 404, code: 'KMS.0207', message: 'no', requestId: 'r1' },
      }),
      { instance: '/v1/kms/keys/k/grants/g', requestId: 'req-1', auditId: 'a-1' },
    );
    assert.deepEqual(body, {
      type: 'urn:rescind:problem:not-found',
      title: 'Not Found',
      status: 404,
      code: 'NOT_FOUND',
      detail: 'The grant does not exist.',
      instance: '/v1/kms/keys/k/grants/g',
      requestId: 'req-1',
      auditId: 'a-1',
      upstream: { service: 'kms', status: 404, code: 'KMS.0207', message: 'no', requestId: 'r1' },
    });
  });

  it('caps the upstream message at 1,024 characters', () => {
    const body = renderProblem(
      new ProblemError('UPSTREAM_ERROR', {
        upstream: { service: 'scm', message: 'x'.repeat(5000) },
      }),
      {},
    );
    assert.equal(body.upstream?.message?.length, 1024);
  });

  it('never renders the cause', () => {
    const body = renderProblem(
      new ProblemError('UPSTREAM_UNAVAILABLE', {
        cause: new Error('connect ECONNREFUSED 10.1.2.3:443'),
      }),
      {},
    );
    assert.doesNotMatch(JSON.stringify(body), /10\.1\.2\.3|ECONNREFUSED/);
  });

  it('turns an unknown error into INTERNAL with a fixed sentence', () => {
    const problem = toProblemError(new TypeError('Cannot read properties of undefined (secret)'));
    assert.equal(problem.code, 'INTERNAL');
    assert.doesNotMatch(JSON.stringify(renderProblem(problem, {})), /secret|Cannot read/);
  });

  it('derives a distinct type URN for every code', () => {
    const types = new Set(PROBLEM_CODES.map(problemType));
    assert.equal(types.size, PROBLEM_CODES.length);
    for (const code of PROBLEM_CODES) {
      assert.match(problemType(code), /^urn:rescind:problem:[a-z-]+$/);
      assert.equal(new ProblemError(code).status, PROBLEMS[code].status);
    }
  });
});
