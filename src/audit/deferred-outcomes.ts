// The outcomes nobody waits for any more — outcomes refused while the store was down, and ones
// that close attempts committed after their callers were refused — kept in memory, oldest first,
// to be written before new records once the store is back. Past its bound, and at shutdown,
// they go to the spool and into the trail at the next start.

import type { Logger } from '../observability/logger.ts';
import type { AuditRecordContent } from './audit-record.ts';
import type { OutcomeSpool } from './outcome-spool.ts';

/** Outcomes kept in memory while the store is down; each is one request that was answered 503. */
export const DEFAULT_MAX_DEFERRED_OUTCOMES = 10_000;

export interface DeferredOutcomesOptions {
  readonly chain: string;
  readonly logger: Logger;
  readonly maxDeferredOutcomes?: number;
  /** Without one, outcomes that cannot wait in memory are lost (and the log says so). */
  readonly spool?: OutcomeSpool;
}

export interface DeferredOutcomes {
  readonly length: number;
  /** The oldest `count` outcomes, still kept until `drop` after they committed. */
  peek(count: number): AuditRecordContent[];
  /** Forgets the oldest `count` outcomes: they committed. */
  drop(count: number): void;
  /** Keeps the outcome of a refused request, marked as answered 503. */
  defer(content: AuditRecordContent): void;
  /** Forgets the outcomes with these ids: they reached the store after all. */
  forget(ids: ReadonlySet<string>): void;
  /** Puts outcomes before all others. */
  prepend(contents: readonly AuditRecordContent[]): void;
  /** Spools everything still kept (at shutdown). */
  spillAll(why: string): void;
}

export function createDeferredOutcomes(options: DeferredOutcomesOptions): DeferredOutcomes {
  const maxDeferred = options.maxDeferredOutcomes ?? DEFAULT_MAX_DEFERRED_OUTCOMES;
  let deferred: AuditRecordContent[] = [];
  return {
    get length() {
      return deferred.length;
    },
    peek: (count) => deferred.slice(0, Math.max(0, count)),
    drop(count) {
      deferred = deferred.slice(count);
    },
    defer(content) {
      const marked = markDeferred(content);
      if (deferred.length >= maxDeferred) {
        spill(options, [marked], 'too many outcomes wait for the store');
        return;
      }
      deferred.push(marked);
    },
    forget(ids) {
      deferred = deferred.filter((content) => !ids.has(content.id));
    },
    prepend(contents) {
      deferred.unshift(...contents);
    },
    spillAll(why) {
      if (deferred.length === 0) return;
      spill(options, deferred, why);
      deferred = [];
    },
  };
}

function markDeferred(content: AuditRecordContent): AuditRecordContent {
  const outcome = content.outcome;
  if (outcome === undefined) return content;
  return {
    ...content,
    outcome: {
      ...outcome,
      deferred: { answeredStatus: 503, answeredCode: 'AUDIT_UNAVAILABLE' },
    },
  };
}

/**
 * Outcomes that cannot wait here go to the spool, and into the trail at the next start. When
 * even that fails they are lost, and the log says exactly what that means.
 */
function spill(
  { chain, logger, spool }: DeferredOutcomesOptions,
  outcomes: readonly AuditRecordContent[],
  why: string,
): void {
  const requestIds = outcomes.slice(0, 20).map((content) => content.requestId);
  if (spool !== undefined) {
    try {
      spool.save(outcomes);
      logger.warn(
        { chain, outcomes: outcomes.length, spool: spool.path, requestIds },
        `audit outcomes spooled (${why}); they are written into the trail at the next start`,
      );
      return;
    } catch (error) {
      logger.error({ err: error, chain, spool: spool.path }, 'audit spool failed');
    }
  }
  logger.error(
    { chain, outcomes: outcomes.length, requestIds },
    `audit outcomes lost (${why}): requests that had an attempt record get an outcome "unknown" at the next start; refusals made before any attempt record leave no record`,
  );
}
