import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit, type Options, type RateLimitInfo, type Store } from 'express-rate-limit';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { ProblemError } from '../problems/problem-error.ts';
import { scopeOf } from './request-scope.ts';

export interface CallerRateLimitOptions {
  readonly config: Config['rateLimit'];
  readonly metrics: Metrics;
  /** Shared store (Redis) for fleets; in-process memory by default. */
  readonly store?: Store;
  /** For the limiter's own complaints (store init failures, misuse); requests log to their scope. */
  readonly logger?: Logger;
}

/**
 * Seconds a caller is told to wait when the limit could not be checked (fail-closed store
 * error): short, since the store is expected back soon, but never longer than a window.
 */
export const STORE_ERROR_RETRY_AFTER_SECONDS = 5;

const RATE_LIMIT_KEY = 'rateLimit';

/** The store failed; kept apart from every other error so only it meets `onStoreError`. */
class RateLimitStoreError extends Error {
  constructor(cause: unknown) {
    super('rate-limit store error', { cause });
    this.name = 'RateLimitStoreError';
  }
}

/**
 * Per-caller rate limit, keyed by the authenticated subject (never the IP); runs after
 * authentication. Sends draft-8 `RateLimit` headers; refusals go to the error handler as 429
 * RATE_LIMITED. Store errors follow `onStoreError`: `fail-closed` (default) answers 429 with a
 * short Retry-After, `fail-open` lets the request through and logs a warning. Why these choices:
 * docs/design/upstream-and-rate-limit.md.
 */
export function createCallerRateLimit(options: CallerRateLimitOptions): RequestHandler {
  const { config, metrics, logger } = options;
  const windowMs = config.windowSeconds * 1000;
  const storeErrorRetryAfter = Math.min(STORE_ERROR_RETRY_AFTER_SECONDS, config.windowSeconds);

  const limiterOptions: Partial<Options> = {
    windowMs,
    limit: config.perCaller,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    requestPropertyName: RATE_LIMIT_KEY,
    keyGenerator: (_req, res) => callerKey(res),
    retryAfter: (req) => retryAfterOf(req, windowMs),
    // Store errors are handled below, per `onStoreError`, never by the library.
    passOnStoreError: false,
    handler(req, _res, next) {
      metrics.rateLimitRejections.inc();
      next(
        new ProblemError('RATE_LIMITED', {
          detail: `The caller exceeded its limit of ${config.perCaller} requests per ${config.windowSeconds} s.`,
          retryAfter: retryAfterOf(req, windowMs),
        }),
      );
    },
    // The key is the caller, not the address: the IP checks would only warn about proxies and
    // IPv6 subnets this limiter never looks at. The rest (double counting, shared stores,
    // creation inside a handler) stay on.
    validate: {
      ip: false,
      trustProxy: false,
      xForwardedForHeader: false,
      forwardedHeader: false,
      ipv6Subnet: false,
      ipv6SubnetOrKeyGenerator: false,
      keyGeneratorIpFallback: false,
    },
    ...(options.store !== undefined ? { store: guardStore(options.store) } : {}),
    ...(logger !== undefined ? { logger: toLimiterLogger(logger) } : {}),
  };
  const limiter = rateLimit(limiterOptions);

  return function callerRateLimit(req: Request, res: Response, next: NextFunction) {
    return limiter(req, res, (error?: unknown) => {
      if (!(error instanceof RateLimitStoreError)) {
        next(error);
        return;
      }
      const log = scopeOf(res).log;
      metrics.rateLimitStoreErrors.labels(config.onStoreError).inc();
      if (config.onStoreError === 'fail-open') {
        log.warn(
          { err: error.cause },
          'rate-limit store failed; request allowed unlimited (fail-open)',
        );
        next();
        return;
      }
      log.error({ err: error.cause }, 'rate-limit store failed; request refused (fail-closed)');
      next(
        new ProblemError('RATE_LIMITED', {
          detail:
            'The rate limit could not be checked just now, so the request is refused; retry shortly.',
          retryAfter: storeErrorRetryAfter,
        }),
      );
    });
  };
}

function callerKey(res: Response): string {
  const caller = scopeOf(res).caller;
  if (caller === undefined) throw new Error('rate limit before authentication: no caller in scope');
  return caller.subject;
}

/** Whole seconds until the caller's window resets, at least 1. */
function retryAfterOf(req: Request, windowMs: number): number {
  const info = (req as Request & Partial<Record<typeof RATE_LIMIT_KEY, RateLimitInfo>>)[
    RATE_LIMIT_KEY
  ];
  const resetTime = info?.resetTime;
  const ms = resetTime === undefined ? windowMs : resetTime.getTime() - Date.now();
  return Math.max(1, Math.ceil(ms / 1000));
}

/** The same store, with `increment` failures marked so that only they meet `onStoreError`. */
function guardStore(store: Store): Store {
  const guarded: Store = {
    async increment(key) {
      try {
        return await store.increment(key);
      } catch (error) {
        throw new RateLimitStoreError(error);
      }
    },
    decrement: (key) => store.decrement(key),
    resetKey: (key) => store.resetKey(key),
  };
  if (store.init) guarded.init = store.init.bind(store);
  if (store.get) guarded.get = store.get.bind(store);
  if (store.resetAll) guarded.resetAll = store.resetAll.bind(store);
  if (store.shutdown) guarded.shutdown = store.shutdown.bind(store);
  if (store.localKeys !== undefined) guarded.localKeys = store.localKeys;
  if (store.prefix !== undefined) guarded.prefix = store.prefix;
  return guarded;
}

function toLimiterLogger(logger: Logger): NonNullable<Options['logger']> {
  return {
    error: (error, message) => {
      logger.error({ err: error }, message ?? 'rate limiter error');
    },
    warn: (error, message) => {
      logger.warn({ err: error }, message ?? 'rate limiter warning');
    },
  };
}
