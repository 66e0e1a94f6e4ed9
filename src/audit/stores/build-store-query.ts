// The SELECT behind AuditStore.query, for both stores: the same filters, order and page, in
// each database's placeholder syntax.

import type { StoreQuery } from '../audit-store.ts';
import { auditColumnList, type AuditColumn } from './audit-row.ts';

export interface QueryDialect {
  /** The placeholder of the nth parameter, from 1: `?` in SQLite, `$n` in PostgreSQL. */
  readonly placeholder: (n: number) => string;
  /** Only the most selective exact-match filter may use its index (SQLite, see below). */
  readonly leadIndexOnly: boolean;
}

export function buildStoreQuery(
  query: StoreQuery,
  dialect: QueryDialect,
): { sql: string; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const next = (value: string | number) => {
    params.push(value);
    return dialect.placeholder(params.length);
  };
  if (query.after !== undefined) {
    where.push(`(chain, seq) > (${next(query.after.chain)}, ${next(query.after.seq)})`);
  }
  const exact = exactMatchFilters(query);
  // Without statistics SQLite rates every equality index alike and may walk `result` (half the
  // table is `revoked`) to find one caller's records: 80 ms at 200,000 records, growing with the
  // store. The first filter given in order of selectivity keeps its index; the others are made
  // ineligible with unary `+` and only filter the rows it yields — `chain` too, or the primary
  // key wins again as soon as a cursor is given (docs/benchmarks.md). Each such index is
  // (column, chain, seq), so the page still comes in (chain, seq) order, cursor as a range.
  const lead = exact.find(([column]) => column !== 'chain')?.[0] ?? 'chain';
  for (const [column, value] of exact) {
    const hint = dialect.leadIndexOnly && column !== lead ? '+' : '';
    where.push(`${hint}${column} = ${next(value)}`);
  }
  if (query.since !== undefined) where.push(`time >= ${next(query.since)}`);
  if (query.until !== undefined) where.push(`time < ${next(query.until)}`);
  const limit = next(Math.max(1, Math.min(5000, Math.trunc(query.limit))));
  const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  return {
    sql: `SELECT ${auditColumnList()} FROM audit_records ${filter} ORDER BY chain, seq LIMIT ${limit}`,
    params,
  };
}

/** The exact-match filters a query gives, as (column, value), the most selective first. */
function exactMatchFilters(query: StoreQuery): [AuditColumn, string][] {
  const filters: [AuditColumn, string | undefined][] = [
    ['chain', query.chain],
    ['request_id', query.requestId],
    ['actor', query.actor],
    ['operation', query.operation],
    ['result', query.result],
  ];
  return filters.filter((filter): filter is [AuditColumn, string] => filter[1] !== undefined);
}
