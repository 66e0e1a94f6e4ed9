// The query side of the audit trail (GET /v1/audit, the export CLI). Pages are keyset pages on
// (chain, seq): every chain only grows at its end, so a cursor never skips or repeats a record
// however many are appended while a client pages through.

import { ProblemError } from '../problems/problem-error.ts';
import type { AuditRecord } from './audit-record.ts';
import {
  AuditStoreError,
  type AuditStore,
  type RecordFilter,
  type RecordKey,
  type StoredRecord,
  type StoreQuery,
} from './audit-store.ts';
import { parseStoredRecord } from './stored-record.ts';

export const DEFAULT_AUDIT_PAGE_LIMIT = 100;
export const MAX_AUDIT_PAGE_LIMIT = 1000;
/** Records fetched per round trip while streaming: bounds memory whatever the match count. */
export const AUDIT_STREAM_BATCH = 500;

/** `since` and `until` are any ISO 8601 timestamps; the reader normalizes them for the store. */
export interface AuditQuery extends RecordFilter {
  /** Page size, 1…1000 (default 100). Streams ignore it and return every match. */
  readonly limit?: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
}

export interface AuditPage {
  readonly items: readonly AuditRecord[];
  /** Null on the last page. */
  readonly nextCursor: string | null;
}

export interface AuditReader {
  page(query: AuditQuery): Promise<AuditPage>;
  /** Every match, fetched in keyset batches: constant memory, however many there are. */
  stream(query: AuditQuery): AsyncIterable<AuditRecord>;
}

export function createAuditReader(store: AuditStore): AuditReader {
  return {
    async page(query) {
      const limit = query.limit ?? DEFAULT_AUDIT_PAGE_LIMIT;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AUDIT_PAGE_LIMIT) {
        throw invalid('limit', `must be an integer from 1 to ${MAX_AUDIT_PAGE_LIMIT}`);
      }
      const base = toStoreQuery(query);
      const rows = await read(store, { ...base, limit: limit + 1 });
      const items = rows.slice(0, limit);
      const last = items[items.length - 1];
      return {
        items: items.map(parse),
        nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last) : null,
      };
    },
    async *stream(query) {
      for await (const stored of scanStore(store, toStoreQuery(query))) yield parse(stored);
    },
  };
}

/** Every stored record matching a query, in (chain, seq) order, fetched in batches. */
export async function* scanStore(
  store: AuditStore,
  query: Omit<StoreQuery, 'limit'> = {},
): AsyncGenerator<StoredRecord> {
  let after = query.after;
  for (;;) {
    const rows = await read(store, {
      ...query,
      ...(after !== undefined ? { after } : {}),
      limit: AUDIT_STREAM_BATCH,
    });
    yield* rows;
    const last = rows[rows.length - 1];
    if (rows.length < AUDIT_STREAM_BATCH || last === undefined) return;
    after = { chain: last.chain, seq: last.seq };
  }
}

async function read(store: AuditStore, query: StoreQuery): Promise<readonly StoredRecord[]> {
  try {
    return await store.query(query);
  } catch (error) {
    if (!(error instanceof AuditStoreError)) throw error;
    throw new ProblemError('AUDIT_UNAVAILABLE', {
      detail: 'The audit trail cannot be read right now.',
      cause: error,
    });
  }
}

function parse(stored: StoredRecord): AuditRecord {
  try {
    return parseStoredRecord(stored);
  } catch (error) {
    // A body that is not JSON is damage for `audit:verify` to report; the API cannot serve it.
    throw new ProblemError('INTERNAL', {
      detail: 'An audit record could not be read; run audit:verify.',
      cause: error,
    });
  }
}

function toStoreQuery(query: AuditQuery): Omit<StoreQuery, 'limit'> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  if (after === null) throw invalid('cursor', 'is not a cursor this API returned');
  return {
    ...(after !== undefined ? { after } : {}),
    ...(query.operation !== undefined ? { operation: query.operation } : {}),
    ...(query.actor !== undefined ? { actor: query.actor } : {}),
    ...(query.result !== undefined ? { result: query.result } : {}),
    ...(query.requestId !== undefined ? { requestId: query.requestId } : {}),
    ...(query.since !== undefined ? { since: toIsoTime(query.since, 'since') } : {}),
    ...(query.until !== undefined ? { until: toIsoTime(query.until, 'until') } : {}),
  };
}

/** Stored times are `toISOString()` output, so the bounds must be too to compare as text. */
function toIsoTime(value: string, field: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw invalid(field, 'must be an ISO 8601 timestamp');
  return new Date(time).toISOString();
}

const CURSOR_PREFIX = 'c1.';

export function encodeCursor(key: RecordKey): string {
  return CURSOR_PREFIX + Buffer.from(JSON.stringify([key.chain, key.seq])).toString('base64url');
}

/** The key a cursor stands for, or null when it is not one of ours. */
export function decodeCursor(cursor: string): RecordKey | null {
  if (!cursor.startsWith(CURSOR_PREFIX) || cursor.length > 512) return null;
  try {
    const value: unknown = JSON.parse(
      Buffer.from(cursor.slice(CURSOR_PREFIX.length), 'base64url').toString('utf8'),
    );
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [chain, seq] = value as unknown[];
    if (typeof chain !== 'string' || typeof seq !== 'number' || !Number.isSafeInteger(seq)) {
      return null;
    }
    return { chain, seq };
  } catch {
    return null;
  }
}

function invalid(field: string, message: string): ProblemError {
  return new ProblemError('INVALID_REQUEST', {
    detail: `The audit query parameter ${field} ${message}.`,
    errors: [{ field, message }],
  });
}
