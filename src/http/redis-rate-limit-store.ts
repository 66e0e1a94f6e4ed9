import type { Store } from 'express-rate-limit';
import { Redis } from 'ioredis';
import { RedisStore, type Options, type RedisReply } from 'rate-limit-redis';
import type { ReadinessReport } from '../audit/audit-trail.ts';
import type { Logger } from '../observability/logger.ts';

export interface RedisRateLimitStoreOptions {
  readonly logger: Logger;
  /** Bound on establishing a connection. */
  readonly connectTimeoutMs?: number;
  /** Bound on one command, queueing included: a stalled Redis fails the request, never hangs it. */
  readonly commandTimeoutMs?: number;
  /** Key prefix, so several limiters (or apps) can share one Redis. */
  readonly prefix?: string;
}

export interface RedisRateLimitStore {
  readonly store: Store;
  /** Another store on the same connection, counting under its own key prefix. */
  storeFor(prefix: string): Store;
  readonly client: Redis;
  /** Ready when connected; reasons never include the URL (it may hold a password). */
  readiness(): ReadinessReport;
  /** The same as `readiness()`. */
  ready(): ReadinessReport;
  close(): Promise<void>;
}

export const DEFAULT_REDIS_CONNECT_TIMEOUT_MS = 2_000;
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 1_000;
export const DEFAULT_RATE_LIMIT_PREFIX = 'rescind:rl:';
const QUIT_TIMEOUT_MS = 1_000;

/**
 * The shared rate-limit store of a fleet (docs/api.md "Callers and permissions"): counts live in Redis so the limit holds
 * across every gateway instance. The client connects lazily, bounds connect and command time, and
 * gives up on a command after one reconnection attempt, so a down Redis fails requests fast
 * (then `onStoreError` decides) rather than holding them.
 */
export function createRedisRateLimitStore(
  url: string,
  options: RedisRateLimitStoreOptions,
): RedisRateLimitStore {
  const { logger } = options;
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_REDIS_CONNECT_TIMEOUT_MS,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    // Keep reconnecting in the background, backing off to one attempt every 2 s.
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });

  // One log line per outage, not one per reconnection attempt. Without an 'error' listener
  // ioredis prints every failure to the console itself.
  let healthy = true;
  client.on('error', (error: Error) => {
    if (!healthy) return;
    healthy = false;
    logger.warn({ err: error }, 'rate-limit Redis unavailable');
  });

  const stores: ReloadingRedisStore[] = [];
  const storeFor = (prefix: string): ReloadingRedisStore => {
    const created = new ReloadingRedisStore(
      {
        prefix,
        sendCommand: (command: string, ...args: string[]) =>
          client.call(command, ...args) as Promise<RedisReply>,
      },
      () => client.status === 'ready',
    );
    stores.push(created);
    return created;
  };
  const store = storeFor(options.prefix ?? DEFAULT_RATE_LIMIT_PREFIX);
  client.on('ready', () => {
    if (!healthy) {
      logger.info('rate-limit Redis available again');
      for (const each of stores) each.reloadScripts();
    }
    healthy = true;
  });

  const readiness = (): ReadinessReport => {
    if (client.status === 'ready') return { ready: true, reasons: [] };
    // Lazy: nothing has asked for a connection yet. Readiness is when to start one.
    if (client.status === 'wait') client.connect().catch(() => undefined);
    return { ready: false, reasons: [`rate-limit Redis is not connected (${client.status})`] };
  };

  return {
    store,
    storeFor,
    client,
    readiness,
    ready: readiness,
    async close() {
      if (client.status === 'end') return;
      const ended = new Promise<void>((resolve) => {
        client.once('end', resolve);
        // Never let shutdown wait on Redis: past the bound, stop waiting.
        setTimeout(resolve, QUIT_TIMEOUT_MS * 2).unref();
      });
      if (client.status === 'ready') {
        // QUIT lets replies in flight arrive; bounded, then the socket is cut anyway.
        const timer = setTimeout(() => {
          client.disconnect();
        }, QUIT_TIMEOUT_MS);
        await client.quit().catch(() => undefined);
        clearTimeout(timer);
      }
      client.disconnect();
      // Disconnecting between reconnection attempts cancels the next attempt but never emits
      // 'end' (ioredis#1830, ioredis#1247): nothing is left running, so do not wait for it.
      if (client.status === 'reconnecting') return;
      await ended;
    },
  };
}

/**
 * rate-limit-redis loads its Lua scripts once, in `init`; if Redis is down at that moment the
 * rejected load is kept and every later increment fails even after Redis is back
 * (express-rate-limit#485, rate-limit-redis#71). So the scripts are loaded again whenever the
 * client reconnects after an outage (until then increments fail at once, without a round trip),
 * and after an increment fails on a live connection.
 */
class ReloadingRedisStore extends RedisStore {
  readonly #connected: () => boolean;

  constructor(options: Options, connected: () => boolean) {
    super(options);
    this.#connected = connected;
  }

  override async increment(key: string) {
    try {
      return await super.increment(key);
    } catch (error) {
      // Connected, yet failing: perhaps a load that timed out. Disconnected: wait for 'ready'.
      if (this.#connected()) this.reloadScripts();
      throw error;
    }
  }

  reloadScripts(): void {
    const increment = this.loadIncrementScript();
    const get = this.loadGetScript();
    // Nobody may await them if no request follows: keep them from being unhandled rejections.
    increment.catch(() => undefined);
    get.catch(() => undefined);
    this.incrementScriptSha = increment;
    this.getScriptSha = get;
  }
}
