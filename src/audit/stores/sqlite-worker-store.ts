// The SQLite audit store with its connection on a worker thread (sqlite-audit-worker.ts), so that
// COMMIT and its fsync no longer stall the event loop: node:sqlite is synchronous, and two durable
// records per revocation made those commits a third of the main thread (docs/benchmarks.md).
// This side implements AuditStore by message: each call is a WorkerRequest with an id, answered
// by the WorkerReply with that id, which also carries the worker's health state, so health()
// stays synchronous. Errors cross as kind and message and become AuditStoreErrors again.
//
// A worker that dies (a crash, out of memory) fails every call still waiting and every later
// one with 'unavailable' — the writer then refuses records, fails readiness and probes — and the
// next probe() starts a new worker, which opens only an existing database (never creates one).

import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  AuditStoreError,
  type AppendOptions,
  type AuditStore,
  type AuditStoreErrorKind,
  type ChainHead,
  type StoredRecord,
  type StoreHealth,
  type StoreQuery,
} from '../audit-store.ts';
import {
  identityOf,
  sameFile,
  type FileIdentity,
  type SqliteAuditStoreOptions,
} from './sqlite-audit-store.ts';

// ---- The protocol -------------------------------------------------------------------------

/** workerData: the options of the SqliteAuditStore the worker opens (path already resolved). */
export type WorkerOptions = SqliteAuditStoreOptions;

/** The worker's first message: the store is open, or it could not be opened (then it exits). */
export type WorkerStarted =
  | { readonly type: 'ready'; readonly state: WorkerState }
  | { readonly type: 'failed'; readonly error: WorkerError };

/** One AuditStore call; the worker answers them one at a time, in order. */
export type WorkerCall =
  | { readonly method: 'head'; readonly chain: string }
  | {
      readonly method: 'append';
      readonly chain: string;
      readonly after: ChainHead;
      readonly records: readonly StoredRecord[];
      readonly options: AppendOptions;
    }
  | { readonly method: 'query'; readonly query: StoreQuery }
  | { readonly method: 'dangling'; readonly chain: string }
  | { readonly method: 'probe' }
  | { readonly method: 'close' };

export type WorkerRequest = WorkerCall & { readonly id: number };

/** The answer to the request with the same id; `value` is what the store method resolved to. */
export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown; readonly state: WorkerState }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error: WorkerError;
      readonly state: WorkerState;
    };

/** The worker's store after each call: its health, and the file its connection has open. */
export interface WorkerState {
  readonly health: StoreHealth;
  readonly file: FileIdentity | null;
}

/** An AuditStoreError as it crosses the thread boundary (its message is safe to show). */
export interface WorkerError {
  readonly kind: AuditStoreErrorKind;
  readonly message: string;
}

// ---- The main-thread side -----------------------------------------------------------------

/** Bundled (scripts/build.ts), the worker is dist/sqlite-audit-worker.js, beside every chunk. */
const WORKER_FILE = new URL(
  `./sqlite-audit-worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`,
  import.meta.url,
);

interface Waiting {
  resolve(value: unknown): void;
  reject(error: AuditStoreError): void;
}

/** One worker thread and the calls it has not answered yet. */
interface Running {
  readonly thread: Worker;
  readonly waiting: Map<number, Waiting>;
  /** The state of the last reply. */
  state: WorkerState;
  /** Why the thread is gone; null while it runs. */
  stopped: string | null;
}

export interface SqliteWorkerStore extends AuditStore {
  readonly kind: 'sqlite';
  /** Ends the worker thread at once, as a crash would; for the tests of what follows. */
  killWorker(): Promise<void>;
}

/** Opens the store on a new worker thread. Rejects with AuditStoreError when it cannot. */
export async function openSqliteWorkerStore(
  options: SqliteAuditStoreOptions,
): Promise<SqliteWorkerStore> {
  const path = resolve(options.path);
  const workerOptions: WorkerOptions = { ...options, path };
  let running = await startWorker(workerOptions);
  let nextId = 1;
  let closing: Promise<void> | null = null;

  function send<T>(call: WorkerCall): Promise<T> {
    if (closing !== null && call.method !== 'close') {
      return Promise.reject(new AuditStoreError('unavailable', 'the audit store is closed'));
    }
    const worker = running;
    if (worker.stopped !== null) {
      return Promise.reject(new AuditStoreError('unavailable', worker.stopped));
    }
    const id = nextId++;
    return new Promise<T>((resolveCall, rejectCall) => {
      // The worker resolves `value` with what the store method returned: a T.
      worker.waiting.set(id, { resolve: resolveCall, reject: rejectCall });
      // Keeps the process alive while a call is out, as a synchronous store would (startWorker).
      worker.thread.ref();
      worker.thread.postMessage({ ...call, id } satisfies WorkerRequest);
    });
  }

  return {
    kind: 'sqlite',
    location: path,
    head: (chain) => send<ChainHead | null>({ method: 'head', chain }),
    append: (chain, after, records, options = {}) =>
      send<undefined>({ method: 'append', chain, after, records, options }),
    query: (query) => send<readonly StoredRecord[]>({ method: 'query', query }),
    dangling: (chain) => send<readonly StoredRecord[]>({ method: 'dangling', chain }),

    health() {
      if (closing !== null) return { ok: false, reason: 'the audit store is closed' };
      if (running.stopped !== null) return { ok: false, reason: running.stopped };
      const { health, file } = running.state;
      // Checked here too, so that readiness sees a deleted or replaced file between writes.
      if (file !== null && !sameFile(file, identityOf(path))) {
        return { ok: false, reason: `${path} was deleted or replaced while open` };
      }
      return health;
    },

    async probe() {
      if (closing !== null) throw new AuditStoreError('unavailable', 'the audit store is closed');
      if (running.stopped !== null) {
        running = await startWorker({ ...workerOptions, mustExist: true });
      }
      await send<undefined>({ method: 'probe' });
    },

    async killWorker() {
      await running.thread.terminate();
    },

    close() {
      closing ??= (async () => {
        const worker = running;
        if (worker.stopped === null) {
          try {
            await send<undefined>({ method: 'close' });
          } catch {
            // The worker died while closing; terminate() below is all that is left to do.
          }
        }
        await worker.thread.terminate();
      })();
      return closing;
    },
  };
}

function startWorker(options: WorkerOptions): Promise<Running> {
  return new Promise<Running>((resolveStart, rejectStart) => {
    const thread = new Worker(WORKER_FILE, { workerData: options });
    let running: Running | null = null;

    thread.on('message', (message: WorkerStarted | WorkerReply) => {
      if ('type' in message) {
        if (message.type === 'failed') {
          rejectStart(fromWorkerError(message.error));
          return;
        }
        running = { thread, waiting: new Map(), state: message.state, stopped: null };
        // An idle worker does not keep the process alive; send() refs it while a call is out.
        thread.unref();
        resolveStart(running);
        return;
      }
      if (running === null) return;
      running.state = message.state;
      const waiting = running.waiting.get(message.id);
      running.waiting.delete(message.id);
      if (running.waiting.size === 0) thread.unref();
      if (message.ok) waiting?.resolve(message.value);
      else waiting?.reject(fromWorkerError(message.error));
    });
    thread.on('error', (error) => {
      stop(`the SQLite audit worker for ${options.path} failed`, error);
    });
    thread.on('exit', (code) => {
      stop(`the SQLite audit worker for ${options.path} stopped (exit code ${code})`);
    });

    /** The thread is gone: every call still waiting fails, and so does every later one. */
    function stop(reason: string, cause?: unknown): void {
      const error = new AuditStoreError('unavailable', reason, { cause });
      if (running === null) {
        rejectStart(error);
        return;
      }
      if (running.stopped !== null) return;
      running.stopped = reason;
      for (const waiting of running.waiting.values()) waiting.reject(error);
      running.waiting.clear();
    }
  });
}

function fromWorkerError(error: WorkerError): AuditStoreError {
  return new AuditStoreError(error.kind, error.message);
}
