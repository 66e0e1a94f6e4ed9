// Tokens per scope key, with one exchange in flight per key (docs/api.md "Cloud credentials"). Time comes from the
// injected clock and timer, so tests drive it without sleeping.
import { iamFailure } from './iam-failure.ts';
import type { ExchangedToken } from './parse-iam-answer.ts';

export interface TokenLookup {
  /** Epoch ms until which the token must stay valid (the end of the call about to be made). */
  readonly useUntil: number;
  /** Epoch ms after which this caller stops waiting; Infinity waits as long as the exchange. */
  readonly deadline: number;
}

export interface TokenCacheResult {
  readonly token: ExchangedToken;
  /** True when served from the cache, false when it came from an exchange (started or joined). */
  readonly fromCache: boolean;
}

/** Runs `fn` after `ms` milliseconds; returns a function that cancels it. */
export type SetTimer = (fn: () => void, ms: number) => () => void;

export interface TokenCacheOptions {
  /** Refresh this long before expiry (capped per token at half its lifetime). */
  readonly marginMs: number;
  /** Epoch ms. */
  readonly clock: () => number;
  readonly setTimer?: SetTimer;
}

export interface TokenCache {
  /**
   * A cached token usable for `lookup`, else the result of the exchange in flight for `key`,
   * else of a new one `exchange` starts. A failed exchange is not cached; everyone waiting on
   * it gets its error. A caller whose deadline passes first gets UPSTREAM_UNAVAILABLE while
   * the exchange goes on for the others (and is cached if it succeeds).
   */
  get(
    key: string,
    lookup: TokenLookup,
    exchange: () => Promise<ExchangedToken>,
  ): Promise<TokenCacheResult>;
  /** Drops the cached token of `key` if it is still `value` (a newer one stays). */
  invalidate(key: string, value: string): boolean;
}

// setTimeout's longest delay; a longer one fires at once (Node's TimeoutOverflowWarning).
const MAX_TIMER_MS = 2 ** 31 - 1;

const defaultSetTimer: SetTimer = (fn, ms) => {
  const timer = setTimeout(fn, ms);
  return () => {
    clearTimeout(timer);
  };
};

/**
 * Whether a cached token may be handed out at `now` for a call lasting until `useUntil`.
 * The refresh margin is capped at half the token's lifetime: a 3-second token with a 40-minute
 * margin would otherwise never be reusable, and a 24-hour token gets the full margin. Either
 * way the token must outlive the call.
 */
export function isTokenUsable(
  token: ExchangedToken,
  now: number,
  useUntil: number,
  marginMs: number,
): boolean {
  const lifetime = Math.max(0, token.expiresAt - token.issuedAt);
  const margin = Math.min(marginMs, lifetime / 2);
  return token.expiresAt > Math.max(useUntil, now + margin);
}

function deadlinePassed(): Error {
  return iamFailure('unavailable', {
    detail: "IAM did not issue a token before the request's deadline.",
  });
}

export function createTokenCache(options: TokenCacheOptions): TokenCache {
  const { marginMs, clock } = options;
  const setTimer = options.setTimer ?? defaultSetTimer;
  const tokens = new Map<string, ExchangedToken>();
  const flights = new Map<string, Promise<ExchangedToken>>();

  const start = (key: string, exchange: () => Promise<ExchangedToken>): Promise<ExchangedToken> => {
    // The bookkeeping runs before any waiter resumes, so a waiter never sees a stale cache.
    const flight = Promise.resolve()
      .then(exchange)
      .then(
        (token) => {
          tokens.set(key, token);
          flights.delete(key);
          return token;
        },
        (error: unknown) => {
          flights.delete(key);
          throw error;
        },
      );
    // Every waiter may have given up at its deadline; the failure is theirs, not unhandled.
    flight.catch(() => undefined);
    flights.set(key, flight);
    return flight;
  };

  const waitUntil = (
    flight: Promise<ExchangedToken>,
    deadline: number,
  ): Promise<ExchangedToken> => {
    const remaining = deadline - clock();
    if (remaining <= 0) return Promise.reject(deadlinePassed());
    // No timer for an unbounded (or absurdly far) deadline: the exchange has its own timeout.
    if (remaining > MAX_TIMER_MS) return flight;
    let cancel = (): void => undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      cancel = setTimer(() => {
        reject(deadlinePassed());
      }, remaining);
    });
    return Promise.race([flight, timeout]).finally(() => {
      cancel();
    });
  };

  return {
    async get(key, lookup, exchange) {
      const cached = tokens.get(key);
      if (cached !== undefined && isTokenUsable(cached, clock(), lookup.useUntil, marginMs)) {
        return { token: cached, fromCache: true };
      }
      let flight = flights.get(key);
      if (flight === undefined) {
        // Too late to wait for anything: starting an exchange nobody waits for helps no one.
        if (lookup.deadline <= clock()) throw deadlinePassed();
        flight = start(key, exchange);
      }
      // A fresh token is handed out even when it is short-lived: it is the best IAM gives.
      return { token: await waitUntil(flight, lookup.deadline), fromCache: false };
    },

    invalidate(key, value) {
      if (tokens.get(key)?.value !== value) return false;
      tokens.delete(key);
      return true;
    },
  };
}
