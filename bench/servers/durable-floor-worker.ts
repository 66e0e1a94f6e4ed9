// The durable floor's store (bench/servers/durable-floor.ts): one SQLite file in WAL mode with
// synchronous=FULL, as the gateway's audit store, on a worker thread of its own. Each message is a
// batch of records, written in one transaction; the reply says the commit is on disk.

import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

if (parentPort === null) throw new Error('durable-floor-worker.ts runs only as a worker thread');
const port = parentPort;
const db = new DatabaseSync((workerData as { path: string }).path);
db.exec(`PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
CREATE TABLE IF NOT EXISTS records (seq INTEGER PRIMARY KEY, body TEXT NOT NULL) STRICT;`);
const insert = db.prepare('INSERT INTO records (body) VALUES (?)');

port.on('message', (bodies: readonly string[]) => {
  db.exec('BEGIN');
  for (const body of bodies) insert.run(body);
  db.exec('COMMIT');
  port.postMessage(bodies.length);
});
