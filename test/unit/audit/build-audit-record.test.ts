import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AUDIT_RECORD_MAX_BYTES, GENESIS_HASH } from '../../../src/audit/audit-record.ts';
import type { AuditEvent } from '../../../src/audit/audit-trail.ts';
import {
  bound,
  buildAuditRecordContent,
  MAX_GROUPS,
  type OutcomeFacts,
} from '../../../src/audit/build-audit-record.ts';
import { canonicalJson } from '../../../src/audit/chain/canonical-json.ts';
import { sealRecord } from '../../../src/audit/chain/seal-record.ts';
import { sampleEvent } from './audit-test-kit.ts';

const ID = '00000000-0000-4000-8000-000000000000';
const TIME = '2025-01-01T00:00:00.000Z';

function seal(event: AuditEvent, outcome?: OutcomeFacts) {
  const phase = outcome === undefined ? 'attempt' : 'outcome';
  return sealRecord(
    buildAuditRecordContent({
      id: ID,
      time: TIME,
      phase,
      event,
      ...(outcome !== undefined ? { outcome } : {}),
    }),
    'c'.repeat(64),
    Number.MAX_SAFE_INTEGER,
    GENESIS_HASH,
  );
}

function bytes(value: unknown): number {
  return Buffer.byteLength(canonicalJson(value), 'utf8');
}

/** Everything as long and as expensive to serialize as it can be (6-byte escapes). */
const HOSTILE = '\u0001'.repeat(100_000);

describe('audit record builder', () => {
  test('keeps every record under 16 KB however large every field is', () => {
    const event: AuditEvent = {
      requestId: HOSTILE,
      actor: {
        subject: HOSTILE,
        email: '😀'.repeat(50_000),
        groups: Array.from({ length: 5000 }, () => HOSTILE),
        via: 'trusted-headers',
      },
      client: { ip: HOSTILE },
      operation: HOSTILE,
      project: { alias: HOSTILE, id: HOSTILE },
      target: Object.fromEntries(
        Array.from({ length: 100 }, (_, index) => [`${'k'.repeat(100)}${index}`, HOSTILE]),
      ),
    };
    const record = sealRecord(
      buildAuditRecordContent({
        id: HOSTILE,
        time: HOSTILE,
        phase: 'outcome',
        event,
        outcome: {
          result: 'failed',
          status: 502,
          code: HOSTILE,
          upstream: {
            status: 502,
            code: HOSTILE,
            message: HOSTILE,
            requestId: HOSTILE,
            encodedAuthorizationMessage: HOSTILE,
          },
          attempts: 3,
          durationMs: 15_000,
          attemptId: HOSTILE,
          reason: HOSTILE,
          deferred: { answeredStatus: 503, answeredCode: HOSTILE },
        },
      }),
      'c'.repeat(64),
      Number.MAX_SAFE_INTEGER,
      GENESIS_HASH,
    );
    const size = bytes(record);
    assert.ok(size <= AUDIT_RECORD_MAX_BYTES, `record is ${size} bytes`);
    assert.equal(Object.keys(record.target).length, 16, 'shortened names do not collide');
    assert.equal(record.targetTruncated?.['(keys)'], 100);
  });

  test('marks a shortened field with a flag and its original length, and keeps the rest', () => {
    const message = 'x'.repeat(5000);
    const record = seal(sampleEvent(), {
      result: 'failed',
      status: 502,
      code: 'UPSTREAM_ERROR',
      upstream: { status: 500, code: 'SCM.0001', message, requestId: 'u-1' },
      attempts: 3,
      durationMs: 900,
    });
    const upstream = record.outcome?.upstream;
    assert.ok(upstream);
    assert.equal(upstream.messageTruncated, true);
    assert.equal(upstream.messageLength, 5000);
    assert.ok(upstream.message !== null && message.startsWith(upstream.message));
    assert.ok(upstream.message.length > 900, 'keeps as much as the budget allows');
    assert.equal(upstream.code, 'SCM.0001');
    assert.equal(upstream.codeTruncated, undefined);
  });

  test('lists the target values it shortened and how many groups there were', () => {
    const groups = Array.from({ length: MAX_GROUPS + 8 }, (_, index) => `group-${index}`);
    const record = seal(
      sampleEvent({
        actor: { subject: 'bob', email: null, groups, via: 'jwt' },
        target: { certId: 'c'.repeat(300), other: 'short' },
      }),
    );
    assert.deepEqual(record.targetTruncated, { certId: 300 });
    assert.equal(record.target.other, 'short');
    assert.equal(record.actor.groups.length, MAX_GROUPS);
    assert.equal(record.actor.groupsTruncated, true);
    assert.equal(record.actor.groupsLength, MAX_GROUPS + 8);
  });

  test('never splits a surrogate pair when it shortens', () => {
    const shortened = bound('😀'.repeat(100), 11);
    assert.equal(shortened.truncated, true);
    assert.equal(shortened.value, '😀😀');
  });

  test('copies named fields only: headers or tokens on the event cannot reach the record', () => {
    const event = {
      ...sampleEvent(),
      headers: { authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.secret.signature' },
      token: 'MIIsecret-iam-token',
      password: 'hunter2',
      actor: {
        subject: 'alice',
        email: null,
        groups: [],
        via: 'jwt',
        jwt: 'eyJhbGciOiJSUzI1NiJ9.secret.signature',
      },
      client: { ip: '127.0.0.1', headers: { cookie: 'session=secret' } },
    } as unknown as AuditEvent;
    const text = canonicalJson(
      seal(event, {
        result: 'revoked',
        status: 200,
        code: null,
        upstream: {
          status: 200,
          code: null,
          message: null,
          requestId: 'u',
          token: 'MIIsecret-iam-token',
        } as OutcomeFacts['upstream'],
        attempts: 1,
        durationMs: 5,
      }),
    );
    for (const secret of ['secret', 'hunter2', 'authorization', 'headers', 'token', 'cookie']) {
      assert.ok(!text.includes(secret), `the record does not contain "${secret}"`);
    }
  });

  test('holds the fields the contract names, null where unknown', () => {
    const record = seal(
      sampleEvent({
        actor: { subject: null, email: null, groups: [], via: null },
        project: { alias: null, id: null },
        client: { ip: null },
      }),
      {
        result: 'unauthenticated',
        status: 401,
        code: 'UNAUTHENTICATED',
        upstream: null,
        attempts: 0,
        durationMs: 1,
      },
    );
    assert.deepEqual(Object.keys(record).sort(), [
      'actor',
      'chain',
      'client',
      'hash',
      'id',
      'operation',
      'outcome',
      'phase',
      'prevHash',
      'project',
      'requestId',
      'seq',
      'target',
      'time',
    ]);
    assert.deepEqual(record.actor, { subject: null, email: null, groups: [], via: null });
    assert.deepEqual(Object.keys(record.outcome ?? {}).sort(), [
      'attempts',
      'code',
      'durationMs',
      'result',
      'status',
      'upstream',
    ]);
  });
});
