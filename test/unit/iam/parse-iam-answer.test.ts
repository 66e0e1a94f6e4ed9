import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_IAM_RETRY_AFTER_SECONDS,
  DEFAULT_IAM_THROTTLE_RETRY_AFTER_SECONDS,
} from '../../../src/iam/iam-failure.ts';
import { parseIamAnswer, type ParsedIamAnswer } from '../../../src/iam/parse-iam-answer.ts';
import type { ProblemError } from '../../../src/problems/problem-error.ts';
import { envelopeFields, ERROR_BODIES } from '../../fixtures/error-bodies.ts';

const NOW = Date.UTC(2020, 0, 3, 9, 5, 22, 701);
const PASSWORD = 'canary-Pa55word!';
const TOKEN_BODY = JSON.stringify({
  token: { expires_at: '2020-01-04T09:05:22.701000Z', issued_at: '2020-01-03T09:05:22.701000Z' },
});

function parse(
  status: number,
  body: string,
  headers: Record<string, string> = {},
  complete = true,
): ParsedIamAnswer {
  return parseIamAnswer(
    { status, headers: new Headers(headers), body: { text: body, complete } },
    { sentAt: NOW - 50, now: NOW, secrets: [PASSWORD] },
  );
}

function problemOf(parsed: ParsedIamAnswer): ProblemError {
  assert.equal(parsed.ok, false, 'expected a failure');
  assert.equal(parsed.error.upstream?.service, 'iam');
  return parsed.error;
}

describe('a token answer', () => {
  for (const name of ['X-Subject-Token', 'x-subject-token', 'X-SUBJECT-TOKEN']) {
    test(`reads the token from a ${name} header and the expiry from token.expires_at`, () => {
      const parsed = parse(201, TOKEN_BODY, { [name]: 'MIIabc', 'X-Request-Id': 'req-1' });
      assert.deepEqual(parsed, {
        ok: true,
        token: {
          value: 'MIIabc',
          expiresAt: Date.UTC(2020, 0, 4, 9, 5, 22, 701),
          issuedAt: Date.UTC(2020, 0, 3, 9, 5, 22, 701),
        },
        requestId: 'req-1',
      });
    });
  }

  test('falls back to the send time when IAM gives no issued_at', () => {
    const body = JSON.stringify({ token: { expires_at: '2020-01-04T09:05:22.701000Z' } });
    const parsed = parse(201, body, { 'X-Subject-Token': 'MIIabc' });
    assert.ok(parsed.ok);
    assert.equal(parsed.token.issuedAt, NOW - 50);
  });

  const unreadable: [string, number, string, Record<string, string>, boolean?][] = [
    ['no X-Subject-Token header', 201, TOKEN_BODY, {}],
    ['an empty X-Subject-Token header', 201, TOKEN_BODY, { 'X-Subject-Token': ' ' }],
    ['a body that is not JSON', 201, '<html>ok</html>', { 'X-Subject-Token': 'MII' }],
    ['a body without token', 201, '{"ok":true}', { 'X-Subject-Token': 'MII' }],
    [
      'an unparsable expires_at',
      201,
      '{"token":{"expires_at":"tomorrow"}}',
      { 'X-Subject-Token': 'MII' },
    ],
    ['a numeric expires_at', 201, '{"token":{"expires_at":0}}', { 'X-Subject-Token': 'MII' }],
    ['a cut-off body', 201, TOKEN_BODY, { 'X-Subject-Token': 'MII' }, false],
  ];
  for (const [name, status, body, headers, complete] of unreadable) {
    test(`answers UPSTREAM_UNAVAILABLE with Retry-After for a 201 with ${name}`, () => {
      const problem = problemOf(parse(status, body, headers, complete ?? true));
      assert.equal(problem.code, 'UPSTREAM_UNAVAILABLE');
      assert.equal(problem.retryAfter, DEFAULT_IAM_RETRY_AFTER_SECONDS);
      assert.equal(problem.upstream?.status, 201);
    });
  }
});

describe('an error answer', () => {
  // The one table of error bodies, read by the same reader as the services' answers.
  for (const row of ERROR_BODIES) {
    test(`answers UPSTREAM_AUTH_FAILED for a 401 with ${row.name}, reading what it holds`, () => {
      const problem = problemOf(parse(401, JSON.stringify(row.body)));
      assert.equal(problem.code, 'UPSTREAM_AUTH_FAILED');
      assert.equal(problem.retryAfter, undefined);
      assert.deepEqual(problem.upstream, {
        service: 'iam',
        status: 401,
        ...envelopeFields(row),
      });
    });
  }

  test("prefers IAM's X-Request-Id header over the body's request_id", () => {
    const body = '{"error_code":"IAM.0001","error_msg":"Incorrect credentials","request_id":"r1"}';
    const problem = problemOf(parse(401, body, { 'X-Request-Id': 'iam-req' }));
    assert.equal(problem.upstream?.requestId, 'iam-req');
  });

  test('answers UPSTREAM_AUTH_FAILED without upstream code for a 401 that is not JSON', () => {
    const problem = problemOf(parse(401, '<html>denied</html>'));
    assert.equal(problem.code, 'UPSTREAM_AUTH_FAILED');
    assert.deepEqual(problem.upstream, { service: 'iam', status: 401 });
  });

  test('answers UPSTREAM_AUTH_FAILED for a 400: the gateway configuration needs fixing', () => {
    const body = '{"error":{"code":400,"message":"Expecting to find auth.scope","title":"Bad"}}';
    const problem = problemOf(parse(400, body));
    assert.equal(problem.code, 'UPSTREAM_AUTH_FAILED');
    assert.equal(problem.upstream?.status, 400);
  });

  test('answers UPSTREAM_THROTTLED with 3 s for a 429 IAM.0012 without Retry-After', () => {
    const body = '{"error_code":"IAM.0012","error_msg":"The request is too frequent."}';
    const problem = problemOf(parse(429, body));
    assert.equal(problem.code, 'UPSTREAM_THROTTLED');
    assert.equal(problem.retryAfter, DEFAULT_IAM_THROTTLE_RETRY_AFTER_SECONDS);
    assert.equal(problem.retryAfter, 3);
    assert.equal(problem.upstream?.code, 'IAM.0012');
  });

  test("passes IAM's own Retry-After on a 429", () => {
    const problem = problemOf(parse(429, '', { 'Retry-After': '17' }));
    assert.equal(problem.retryAfter, 17);
  });

  for (const status of [500, 502, 503, 504, 408]) {
    test(`answers UPSTREAM_UNAVAILABLE with Retry-After for a ${status}`, () => {
      const problem = problemOf(parse(status, '<html>Bad Gateway</html>'));
      assert.equal(problem.code, 'UPSTREAM_UNAVAILABLE');
      assert.equal(problem.retryAfter, DEFAULT_IAM_RETRY_AFTER_SECONDS);
      assert.equal(problem.upstream?.status, status);
    });
  }

  test('never carries the password into the problem, even when IAM quotes it back', () => {
    const body = JSON.stringify({
      error: {
        code: 400,
        message: `Invalid input for field 'password': '${PASSWORD}' is too long\u0000`,
        title: 'Bad Request',
      },
    });
    const problem = problemOf(parse(400, body));
    const everything = `${JSON.stringify(problem)} ${problem.message} ${String(problem.detail)}`;
    assert.ok(!everything.includes(PASSWORD));
    assert.match(problem.upstream?.message ?? '', /'\[REDACTED\]' is too long$/);
  });

  test('bounds a long message and drops an unsafe request id', () => {
    const body = JSON.stringify({ error_code: 'IAM.1', error_msg: 'x'.repeat(5000) });
    const problem = problemOf(parse(401, body, { 'X-Request-Id': 'bad id\twith spaces' }));
    assert.ok((problem.upstream?.message ?? '').length <= 300);
    assert.equal(problem.upstream?.requestId, undefined);
  });
});
