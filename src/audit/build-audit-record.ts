// Builds the content of an audit record from what the pipeline hands over. Every field is copied
// by name, so nothing the pipeline did not mean to audit — a header, a token, a request body —
// can ride along on an extra property. Every string has a byte budget (its JSON form, UTF-8), so
// a record stays under AUDIT_RECORD_MAX_BYTES whatever a caller or the cloud sends; a shortened
// field says so (`xTruncated`, `xLength`) and the record is still written.

import type {
  AuditPhase,
  AuditRecord,
  AuditRecordContent,
  AuditRecordOutcome,
} from './audit-record.ts';
import type { StoredRecord } from './audit-store.ts';
import {
  AUDIT_RESULTS,
  type AuditEvent,
  type AuditSummary,
  type AuditResult,
  type AuditUpstream,
} from './audit-trail.ts';
import { parseStoredRecord } from './stored-record.ts';

/** Budgets in bytes of the field's JSON string (quotes and escapes included). */
export const FIELD_BUDGETS = {
  id: 64,
  time: 64,
  requestId: 200,
  subject: 256,
  email: 320,
  group: 128,
  ip: 64,
  operation: 128,
  projectAlias: 64,
  projectId: 128,
  targetKey: 64,
  targetValue: 256,
  upstreamCode: 128,
  upstreamMessage: 1024,
  upstreamRequestId: 200,
  upstreamEncodedAuthorizationMessage: 1024,
  code: 64,
  reason: 256,
  attemptId: 64,
  /** An instance id: at most 64 characters of [A-Za-z0-9._-], and its quotes. */
  closedBy: 66,
} as const;
export const MAX_GROUPS = 32;
export const MAX_TARGET_KEYS = 16;

/** An outcome as the trail records it: AuditOutcome, or what recovery knows about one. */
export interface OutcomeFacts {
  readonly result: AuditResult;
  readonly status: number | null;
  readonly code: string | null;
  readonly upstream: AuditUpstream | null;
  readonly attempts: number | null;
  readonly durationMs: number | null;
  readonly attemptId?: string;
  readonly reason?: string;
  readonly records?: number;
  readonly deferred?: { readonly answeredStatus: number; readonly answeredCode: string };
  readonly closedBy?: string;
  readonly summary?: AuditSummary;
}

export interface RecordFacts {
  readonly id: string;
  readonly time: string;
  readonly phase: AuditPhase;
  readonly event: AuditEvent;
  readonly outcome?: OutcomeFacts;
}

type Mutable = Record<string, unknown>;

export function buildAuditRecordContent(facts: RecordFacts): AuditRecordContent {
  const { event } = facts;
  // id and time are the trail's own (a UUID, an ISO timestamp); bounded all the same.
  const record: Mutable = {
    id: bound(text(facts.id) ?? '', FIELD_BUDGETS.id).value,
    time: bound(text(facts.time) ?? '', FIELD_BUDGETS.time).value,
    phase: facts.phase === 'attempt' ? 'attempt' : 'outcome',
  };
  putString(record, 'requestId', text(event.requestId) ?? '', FIELD_BUDGETS.requestId);
  record.actor = buildActor(event.actor);
  const client: Mutable = {};
  putString(client, 'ip', text(event.client.ip), FIELD_BUDGETS.ip);
  record.client = client;
  putString(record, 'operation', text(event.operation) ?? 'unknown', FIELD_BUDGETS.operation);
  const project: Mutable = {};
  putString(project, 'alias', text(event.project.alias), FIELD_BUDGETS.projectAlias);
  putString(project, 'id', text(event.project.id), FIELD_BUDGETS.projectId);
  record.project = project;
  putTarget(record, event.target);
  if (facts.outcome !== undefined) record.outcome = buildOutcome(facts.outcome);
  return record as unknown as AuditRecordContent;
}

function buildActor(actor: AuditEvent['actor']): Mutable {
  const built: Mutable = {};
  putString(built, 'subject', text(actor.subject), FIELD_BUDGETS.subject);
  putString(built, 'email', text(actor.email), FIELD_BUDGETS.email);
  const groups = Array.isArray(actor.groups)
    ? actor.groups.map((group: unknown) => text(group) ?? '')
    : [];
  const kept = groups.slice(0, MAX_GROUPS).map((group) => bound(group, FIELD_BUDGETS.group));
  built.groups = kept.map((group) => group.value);
  if (groups.length > MAX_GROUPS || kept.some((group) => group.truncated)) {
    built.groupsTruncated = true;
    built.groupsLength = groups.length;
  }
  built.via = actor.via === 'jwt' || actor.via === 'trusted-headers' ? actor.via : null;
  return built;
}

function putTarget(record: Mutable, target: Readonly<Record<string, string>>): void {
  const built: Record<string, string> = {};
  const truncated: Record<string, number> = {};
  const keys = Object.keys(target).sort();
  for (const [index, key] of keys.slice(0, MAX_TARGET_KEYS).entries()) {
    // Names come from the operation catalog; a shortened one gets a suffix so none collide.
    const shortened = bound(key, FIELD_BUDGETS.targetKey - 4);
    const name = shortened.truncated ? `${shortened.value}~${index}` : key;
    const value = text(target[key]) ?? '';
    const bounded = bound(value, FIELD_BUDGETS.targetValue);
    built[name] = bounded.value;
    if (bounded.truncated || name !== key) truncated[name] = value.length;
  }
  if (keys.length > MAX_TARGET_KEYS) truncated['(keys)'] = keys.length;
  record.target = built;
  if (Object.keys(truncated).length > 0) record.targetTruncated = truncated;
}

function buildOutcome(outcome: OutcomeFacts): AuditRecordOutcome {
  const built: Mutable = {
    result: AUDIT_RESULTS.includes(outcome.result) ? outcome.result : 'unknown',
    status: integer(outcome.status),
  };
  putString(built, 'code', text(outcome.code), FIELD_BUDGETS.code);
  built.upstream = outcome.upstream === null ? null : buildUpstream(outcome.upstream);
  built.attempts = integer(outcome.attempts);
  built.durationMs = integer(outcome.durationMs);
  if (outcome.attemptId !== undefined) {
    // Our own UUID; the budget only guards against a caller-controlled value ever landing here.
    built.attemptId = bound(text(outcome.attemptId) ?? '', FIELD_BUDGETS.attemptId).value;
  }
  if (outcome.reason !== undefined) {
    putString(built, 'reason', text(outcome.reason), FIELD_BUDGETS.reason);
  }
  if (outcome.records !== undefined) built.records = integer(outcome.records);
  if (outcome.deferred !== undefined) {
    built.deferred = {
      answeredStatus: integer(outcome.deferred.answeredStatus),
      answeredCode: bound(text(outcome.deferred.answeredCode) ?? '', FIELD_BUDGETS.code).value,
    };
  }
  if (outcome.closedBy !== undefined) {
    putString(built, 'closedBy', text(outcome.closedBy), FIELD_BUDGETS.closedBy);
  }
  if (outcome.summary !== undefined) {
    built.summary = {
      refused: integer(outcome.summary.refused),
      since: bound(text(outcome.summary.since) ?? '', FIELD_BUDGETS.time).value,
      until: bound(text(outcome.summary.until) ?? '', FIELD_BUDGETS.time).value,
    };
  }
  return built as unknown as AuditRecordOutcome;
}

function buildUpstream(upstream: AuditUpstream): Mutable {
  const built: Mutable = { status: integer(upstream.status) };
  putString(built, 'code', text(upstream.code), FIELD_BUDGETS.upstreamCode);
  putString(built, 'message', text(upstream.message), FIELD_BUDGETS.upstreamMessage);
  putString(built, 'requestId', text(upstream.requestId), FIELD_BUDGETS.upstreamRequestId);
  const encoded = text(upstream.encodedAuthorizationMessage);
  if (encoded !== null) {
    putString(
      built,
      'encodedAuthorizationMessage',
      encoded,
      FIELD_BUDGETS.upstreamEncodedAuthorizationMessage,
    );
  }
  return built;
}

function putString(into: Mutable, name: string, value: string | null, budget: number): void {
  if (value === null) {
    into[name] = null;
    return;
  }
  const bounded = bound(value, budget);
  into[name] = bounded.value;
  if (bounded.truncated) {
    into[`${name}Truncated`] = true;
    into[`${name}Length`] = value.length;
  }
}

/** Types are not trusted at run time: whatever arrives becomes text or null. */
function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function integer(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : null;
}

export interface Bounded {
  readonly value: string;
  readonly truncated: boolean;
}

/**
 * The longest prefix of `value` whose JSON string form takes at most `budget` bytes of UTF-8,
 * cut between code points (never inside a surrogate pair).
 */
export function bound(value: string, budget: number): Bounded {
  let used = 2; // the quotes
  let end = 0;
  for (const char of value) {
    used += jsonCost(char);
    if (used > budget) return { value: value.slice(0, end), truncated: true };
    end += char.length;
  }
  return { value, truncated: false };
}

function jsonCost(char: string): number {
  const code = char.codePointAt(0) ?? 0;
  if (code === 0x22 || code === 0x5c) return 2; // \" and \\
  if (code < 0x20)
    return code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d
      ? 2
      : 6;
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  if (code >= 0xd800 && code <= 0xdfff) return 6; // a lone surrogate is written as \udxxx
  if (code < 0x10000) return 3;
  return 4;
}

/**
 * The outcome record that closes an attempt found in the store (crash recovery, or an attempt
 * that became durable after its caller had been refused): the attempt's request facts, flags
 * included, with a new id, time and outcome.
 */
export function buildClosingOutcomeContent(
  attempt: AuditRecord,
  id: string,
  time: string,
  outcome: OutcomeFacts,
): AuditRecordContent {
  const {
    chain: _chain,
    seq: _seq,
    prevHash: _prevHash,
    hash: _hash,
    outcome: _outcome,
    ...facts
  } = attempt;
  return { ...facts, id, time, phase: 'outcome', outcome: buildOutcome(outcome) };
}

/**
 * The `unknown` outcome that closes a stored attempt whose process ended before its outcome
 * (crash recovery). `closedBy` names the instance that closed it when the attempt's own writer
 * is gone for good (its chain adopted).
 */
export function buildUnknownOutcomeContent(
  attempt: StoredRecord,
  id: string,
  time: string,
  closedBy?: string,
): AuditRecordContent {
  return buildClosingOutcomeContent(parseStoredRecord(attempt), id, time, {
    result: 'unknown',
    status: null,
    code: null,
    upstream: null,
    attempts: null,
    durationMs: null,
    attemptId: attempt.id,
    reason: 'process-ended-before-outcome',
    ...(closedBy !== undefined ? { closedBy } : {}),
  });
}
