// What scrubbing the gateway's own secrets from every log line costs (docs/operations.md
// "Logs"): one access line, logged 100,000 times to a sink that discards it, by a logger
// without secrets and by one that knows a password and a connection URL.
// Run: node_modules/.bin/node bench/log-redaction.ts

import { Writable } from 'node:stream';
import { createLogger } from '../src/observability/logger.ts';
import type { Secret } from '../src/text/redact-secrets.ts';

const LINES = 100_000;
const LINE = {
  requestId: '0340c9fe-91ee-46d5-b2b6-81f63febab07',
  traceId: '45da1defdfdb228db92a92cc284cc5e7',
  method: 'DELETE',
  path: '/v1/kms/keys/0d0466b0-e727-4d9c-b35d-f84bb474a37f/grants/7c9a3286af4fcca5f0a385ad13e1d21a50e27b6dbcab50f37f30f93b8939827d',
  status: 200,
  ip: '127.0.0.1',
  operation: 'kms.revokeGrant',
  attempts: 1,
  durationMs: 4.4,
};
const SECRETS: Secret[] = [
  'an-iam-Passw0rd-of-20',
  { value: 'postgres://rescind:db-Pass-1234@db:5432/audit', minShared: Infinity, encodings: false },
  'db-Pass-1234',
];

function microsecondsPerLine(secrets: readonly Secret[]): number {
  const destination = new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  const logger = createLogger({ level: 'info', destination, secrets });
  for (let index = 0; index < LINES / 5; index += 1) logger.info(LINE, 'request');
  const started = performance.now();
  for (let index = 0; index < LINES; index += 1) logger.info(LINE, 'request');
  return ((performance.now() - started) / LINES) * 1000;
}

const without = microsecondsPerLine([]);
const withSecrets = microsecondsPerLine(SECRETS);
console.log(`without secrets: ${without.toFixed(1)} µs per line`);
console.log(`with secrets:    ${withSecrets.toFixed(1)} µs per line`);
console.log(`redaction adds:  ${(withSecrets - without).toFixed(1)} µs per line`);
