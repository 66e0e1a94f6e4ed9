// GET /v1/audit: the audit query API (docs/api.md "Audit records"). Mounted by app.ts after authentication and
// the `audit.read` check. JSON pages by default; with `Accept: application/x-ndjson`, every
// match as one JSON record per line, read from the store in keyset batches and written with
// backpressure, so a large trail streams in constant memory and stops when the client leaves.

import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../observability/logger.ts';
import { z } from 'zod';
import { ProblemError } from '../problems/problem-error.ts';
import {
  DEFAULT_AUDIT_PAGE_LIMIT,
  type AuditQuery,
  type AuditReader,
} from '../audit/audit-reader.ts';
import { AUDIT_QUERY_SCHEMA } from '../audit/audit-query-schema.ts';
import type { AuditRecord } from '../audit/audit-record.ts';

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

/** The query as the reader asked it, and in which format: what a read's audit record names. */
export type AuditReadFilter = AuditQuery & { readonly format: 'json' | 'ndjson' | 'html' };

/** How an NDJSON export ended: every match sent, the client left, or the store failed. */
export type StreamEnd = 'complete' | 'client-gone' | 'stream-failed';

/** Writes the audit records of reads (src/http/audit-read-recorder.ts). */
export interface AuditReadRecorder {
  /** Durable before the page is sent; rejects (AUDIT_UNAVAILABLE) when it cannot be made so. */
  pageRead(req: Request, res: Response, filter: AuditReadFilter, count: number): Promise<void>;
  /** Durable before the first record is sent; resolves to the function that records the end. */
  streamStarting(
    req: Request,
    res: Response,
    filter: AuditReadFilter,
  ): Promise<(count: number, end: StreamEnd) => Promise<void>>;
}

export interface AuditQueryHandlerOptions {
  /** Where a stream that fails half-way is reported (the client only sees it cut short). */
  readonly logger?: Logger;
  /** Audits every read; without one (tools, tests of the query alone) reads are not recorded. */
  readonly recorder?: AuditReadRecorder;
}

export function createAuditQueryHandler(
  reader: AuditReader,
  options: AuditQueryHandlerOptions = {},
): RequestHandler {
  return async function auditQuery(req, res, next) {
    const query = parseQuery(req.query);
    if (query instanceof ProblemError) {
      next(query);
      return;
    }
    const { recorder } = options;
    if (req.accepts(['application/json', NDJSON_CONTENT_TYPE]) === NDJSON_CONTENT_TYPE) {
      const ended = await recorder?.streamStarting(req, res, { ...query, format: 'ndjson' });
      // The outcome (with the count) is made durable before the stream's last byte, so a
      // reader who saw the whole export can find its record; a cut-short one gets it after.
      await streamNdjson(reader.stream(query), res, {
        ...(options.logger === undefined ? {} : { logger: options.logger }),
        ended: ended ?? (() => Promise.resolve()),
      });
      return;
    }
    const limited = { ...query, limit: query.limit ?? DEFAULT_AUDIT_PAGE_LIMIT };
    const page = await reader.page(limited);
    await recorder?.pageRead(req, res, { ...limited, format: 'json' }, page.items.length);
    res.json({ items: page.items, nextCursor: page.nextCursor });
  };
}

function parseQuery(raw: unknown): AuditQuery | ProblemError {
  const parsed = AUDIT_QUERY_SCHEMA.safeParse(raw);
  if (parsed.success) {
    const { since, until } = parsed.data;
    if (since !== undefined && until !== undefined && Date.parse(since) > Date.parse(until)) {
      return invalid([{ field: 'until', message: 'must not be before since' }]);
    }
    return parsed.data;
  }
  return invalid(
    parsed.error.issues.flatMap((issue: z.core.$ZodIssue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({
            field: key,
            message: 'is not a query parameter of /v1/audit',
          }))
        : [
            {
              field: String(issue.path[0] ?? 'query'),
              message:
                issue.code === 'invalid_type' ? 'must be given once, as text' : issue.message,
            },
          ],
    ),
  );
}

function invalid(errors: { field: string; message: string }[]): ProblemError {
  return new ProblemError('INVALID_REQUEST', {
    detail: 'The audit query parameters are not valid.',
    errors,
  });
}

interface StreamOptions {
  /** Where a stream that fails half-way is reported (the client only sees it cut short). */
  readonly logger?: Logger;
  /** Awaited once with how many records were sent: before the end of a complete stream. */
  readonly ended: (count: number, end: StreamEnd) => Promise<void>;
}

/**
 * The first batch is read before the status line, so a store that cannot be read still gets a
 * problem document; after that, a failure can only cut the stream short.
 */
async function streamNdjson(
  records: AsyncIterable<AuditRecord>,
  res: Response,
  options: StreamOptions,
): Promise<void> {
  const iterator = records[Symbol.asyncIterator]();
  let next: IteratorResult<AuditRecord>;
  try {
    next = await iterator.next();
  } catch (error) {
    // The store could not be read at all: the reader gets a problem and was sent nothing.
    await options.ended(0, 'stream-failed');
    throw error;
  }
  res.status(200).type(NDJSON_CONTENT_TYPE);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // 'close' before the end means the client went away: stop reading the store.
  let gone = false;
  const leave = () => {
    gone = true;
  };
  const isGone = () => gone;
  res.on('close', leave);
  let count = 0;
  let end: StreamEnd = 'complete';
  try {
    while (next.done !== true && !isGone()) {
      const written = res.write(`${JSON.stringify(next.value)}\n`);
      count += 1;
      if (!written) await drained(res);
      if (isGone()) break;
      next = await iterator.next();
    }
    if (isGone()) end = 'client-gone';
  } catch (error) {
    options.logger?.error({ err: error }, 'audit stream failed');
    end = 'stream-failed';
  } finally {
    res.off('close', leave);
    await iterator.return?.();
  }
  await options.ended(count, end);
  if (end === 'complete') res.end();
  else res.destroy();
}

/** Resolves when the response can take more, or when it closed (the client went away). */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
