// GET /v1/audit: the audit query API (docs/api.md "Audit records"). Mounted by app.ts after authentication and
// the `audit.read` check. JSON pages by default; with `Accept: application/x-ndjson`, every
// match as one JSON record per line, read from the store in keyset batches and written with
// backpressure, so a large trail streams in constant memory and stops when the client leaves.

import type { RequestHandler, Response } from 'express';
import type { Logger } from '../observability/logger.ts';
import { z } from 'zod';
import { ProblemError } from '../problems/problem-error.ts';
import {
  DEFAULT_AUDIT_PAGE_LIMIT,
  MAX_AUDIT_PAGE_LIMIT,
  type AuditQuery,
  type AuditReader,
} from './audit-reader.ts';
import type { AuditRecord } from './audit-record.ts';
import { AUDIT_RESULTS, type AuditResult } from './audit-trail.ts';

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

const text = (max: number) =>
  z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const timestamp = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 timestamp' });

const querySchema = z.strictObject({
  operation: text(128).optional(),
  actor: text(256).optional(),
  result: z
    .enum(AUDIT_RESULTS as [AuditResult, ...AuditResult[]], {
      error: `must be one of ${AUDIT_RESULTS.join(', ')}`,
    })
    .optional(),
  requestId: text(200).optional(),
  since: timestamp.optional(),
  until: timestamp.optional(),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, `must be an integer from 1 to ${MAX_AUDIT_PAGE_LIMIT}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1, `must be an integer from 1 to ${MAX_AUDIT_PAGE_LIMIT}`)
        .max(MAX_AUDIT_PAGE_LIMIT, `must be an integer from 1 to ${MAX_AUDIT_PAGE_LIMIT}`),
    )
    .optional(),
  cursor: text(512).optional(),
});

export interface AuditQueryHandlerOptions {
  /** Where a stream that fails half-way is reported (the client only sees it cut short). */
  readonly logger?: Logger;
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
    if (req.accepts(['application/json', NDJSON_CONTENT_TYPE]) === NDJSON_CONTENT_TYPE) {
      await streamNdjson(reader.stream(query), res, options.logger);
      return;
    }
    const page = await reader.page({ ...query, limit: query.limit ?? DEFAULT_AUDIT_PAGE_LIMIT });
    res.json({ items: page.items, nextCursor: page.nextCursor });
  };
}

function parseQuery(raw: unknown): AuditQuery | ProblemError {
  const parsed = querySchema.safeParse(raw);
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

/**
 * The first batch is read before the status line, so a store that cannot be read still gets a
 * problem document; after that, a failure can only cut the stream short.
 */
async function streamNdjson(
  records: AsyncIterable<AuditRecord>,
  res: Response,
  logger: Logger | undefined,
): Promise<void> {
  const iterator = records[Symbol.asyncIterator]();
  let next = await iterator.next();
  res.status(200).type(NDJSON_CONTENT_TYPE);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // 'close' before the end means the client went away: stop reading the store.
  let gone = false;
  const leave = () => {
    gone = true;
  };
  const isGone = () => gone;
  res.on('close', leave);
  try {
    while (next.done !== true && !isGone()) {
      if (!res.write(`${JSON.stringify(next.value)}\n`)) await drained(res);
      if (isGone()) break;
      next = await iterator.next();
    }
    if (!isGone()) res.end();
  } catch (error) {
    logger?.error({ err: error }, 'audit stream failed');
    res.destroy();
  } finally {
    res.off('close', leave);
    await iterator.return?.();
  }
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
