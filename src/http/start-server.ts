import { createServer, type RequestListener, type Server } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { flushLogger, type Logger } from '../observability/logger.ts';

/** After the grace: how long the final checkpoint and closing the stores may take. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 4_000;
/** How long exiting waits for the log to be written out. */
const FLUSH_TIMEOUT_MS = 1_000;

export interface StartServerOptions {
  readonly host: string;
  readonly port: number;
  /** How long in-flight revocations may take to finish after SIGTERM. */
  readonly graceSeconds: number;
  readonly logger: Logger;
  /** Runs once nothing is in flight (or the grace ran out): final checkpoint, close stores. */
  readonly onDrained: () => Promise<void>;
  /** Bound on onDrained; past it the process exits anyway (1). */
  readonly closeTimeoutMs?: number;
  /** Install SIGTERM/SIGINT handlers (the process entry point does; tests call drain()). */
  readonly handleSignals?: boolean;
  /** What to do when draining ends; defaults to process.exit once the log is flushed. */
  readonly exit?: (code: number) => void;
}

export interface RunningServer extends Server {
  /**
   * Stop accepting, let in-flight requests finish (bounded by the grace), then onDrained.
   * Resolves to the exit code: 0 when everything finished, 1 when the grace or the close
   * timeout ran out, or closing failed.
   */
  drain(): Promise<number>;
  /** Requests received and not yet answered. */
  inFlight(): number;
}

/**
 * Listens and owns the shutdown sequence. On the first SIGTERM (or SIGINT) the server stops
 * accepting connections, lets in-flight requests finish with their audit outcomes, runs
 * onDrained (the final checkpoint) and exits 0. Requests still running when the grace is over
 * are cut off and the process exits 1; their attempts stay open in the audit trail and are
 * closed as `unknown` at the next start. A second signal exits at once.
 */
export async function startServer(
  listener: RequestListener,
  options: StartServerOptions,
): Promise<RunningServer> {
  const { logger } = options;
  const exit =
    options.exit ??
    ((code: number) => {
      void flushed(logger).then(() => process.exit(code));
    });
  const closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
  let inFlight = 0;
  let draining: Promise<number> | undefined;
  const idleWaiters = new Set<() => void>();

  const server = createServer((req, res) => {
    inFlight += 1;
    // A request that arrives on a kept-alive connection while draining is still served, but
    // the connection closes after it.
    if (draining) res.setHeader('Connection', 'close');
    res.once('close', () => {
      inFlight -= 1;
      if (inFlight === 0) for (const wake of idleWaiters) wake();
    });
    listener(req, res);
  }) as RunningServer;
  // Bound slow clients; a revocation itself is bounded by upstream.deadlineMs.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  server.inFlight = () => inFlight;

  server.drain = () => {
    draining ??= (async () => {
      // Closed before the line is written (synchronously): what it says is already true.
      server.close();
      server.closeIdleConnections();
      logger.info(
        { inFlight, graceSeconds: options.graceSeconds },
        'draining: no new connections, finishing in-flight requests',
      );
      const finished = await waitForIdle(options.graceSeconds * 1000);
      if (!finished) {
        logger.warn(
          { inFlight },
          'grace period over with requests still in flight; their audit attempts will be closed as unknown at the next start',
        );
        server.closeAllConnections();
      }
      const closed = await closeWithin(options.onDrained, closeTimeoutMs, logger);
      const code = finished && closed ? 0 : 1;
      logger.info({ exitCode: code }, 'drained');
      return code;
    })();
    return draining;
  };

  function waitForIdle(timeoutMs: number): Promise<boolean> {
    if (inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        idleWaiters.delete(wake);
        resolve(true);
      };
      const timer = setTimeout(() => {
        idleWaiters.delete(wake);
        resolve(false);
      }, timeoutMs);
      idleWaiters.add(wake);
    });
  }

  if (options.handleSignals ?? true) {
    const onSignal = (signal: NodeJS.Signals) => {
      if (draining) {
        logger.warn({ signal, inFlight }, 'second signal: exiting at once');
        exit(1);
        return;
      }
      logger.info({ signal }, 'shutdown requested');
      void server.drain().then(exit);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** Runs the final close, bounded: a store that hangs must not keep the process alive. */
async function closeWithin(
  close: () => Promise<void>,
  timeoutMs: number,
  logger: Logger,
): Promise<boolean> {
  const timeout = new AbortController();
  try {
    const outcome = await Promise.race([
      close().then(() => 'closed' as const),
      delay(timeoutMs, 'timeout' as const, { signal: timeout.signal }),
    ]);
    if (outcome === 'timeout') {
      logger.error({ timeoutMs }, 'closing the stores took too long; exiting anyway');
      return false;
    }
    return true;
  } catch (error) {
    logger.error({ err: error }, 'closing the stores failed');
    return false;
  } finally {
    timeout.abort();
  }
}

/** The log written out (bounded): the last lines of a process are the ones that matter most. */
async function flushed(logger: Logger): Promise<void> {
  const timeout = new AbortController();
  await Promise.race([
    flushLogger(logger),
    delay(FLUSH_TIMEOUT_MS, undefined, { signal: timeout.signal }).catch(() => undefined),
  ]);
  timeout.abort();
}
