// The worker thread behind sqlite-worker-store.ts: it owns the SQLite connection and runs the
// ordinary SqliteAuditStore, so a COMMIT's fsync blocks this thread instead of the gateway's
// event loop. It answers one request at a time, in the order they came (a message handler runs
// to completion before the next), which keeps the store's "calls are never concurrent" promise.
// The protocol (WorkerRequest, WorkerReply, WorkerStarted) is defined in sqlite-worker-store.ts.

import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { AuditStoreError } from '../audit-store.ts';
import { openSqliteAuditStore, type SqliteAuditStore } from './sqlite-audit-store.ts';
import type {
  WorkerError,
  WorkerOptions,
  WorkerReply,
  WorkerRequest,
  WorkerStarted,
  WorkerState,
} from './sqlite-worker-store.ts';

if (parentPort === null) throw new Error('sqlite-audit-worker.ts runs only as a worker thread');
const port: MessagePort = parentPort;
const options = workerData as WorkerOptions;

let opened: SqliteAuditStore | null = null;
try {
  opened = openSqliteAuditStore(options);
} catch (error) {
  port.postMessage({ type: 'failed', error: toWorkerError(error) } satisfies WorkerStarted);
  port.close();
}
if (opened !== null) serve(opened);

function serve(store: SqliteAuditStore): void {
  port.on('message', (request: WorkerRequest) => {
    void answer(store, request).then((reply) => {
      port.postMessage(reply);
      if (request.method === 'close') port.close();
    });
  });
  port.postMessage({ type: 'ready', state: state(store) } satisfies WorkerStarted);
}

async function answer(store: SqliteAuditStore, request: WorkerRequest): Promise<WorkerReply> {
  try {
    const value = await call(store, request);
    return { id: request.id, ok: true, value, state: state(store) };
  } catch (error) {
    return { id: request.id, ok: false, error: toWorkerError(error), state: state(store) };
  }
}

function call(store: SqliteAuditStore, request: WorkerRequest): Promise<unknown> {
  switch (request.method) {
    case 'head':
      return store.head(request.chain);
    case 'append':
      return store.append(request.chain, request.after, request.records, request.options);
    case 'query':
      return store.query(request.query);
    case 'dangling':
      return store.dangling(request.chain);
    case 'probe':
      return store.probe();
    case 'close':
      return store.close();
  }
}

/** What the main thread needs for a synchronous health(): the store's view, and its file. */
function state(store: SqliteAuditStore): WorkerState {
  return { health: store.health(), file: store.openFile() };
}

/** An AuditStoreError crosses as kind and message (both safe to show); anything else is 'unavailable'. */
function toWorkerError(error: unknown): WorkerError {
  if (error instanceof AuditStoreError) return { kind: error.kind, message: error.message };
  return {
    kind: 'unavailable',
    message: `the SQLite audit worker failed on ${options.path}`,
  };
}
