// The logger decides redaction, and only the logger (STYLE: "one writer per concern").
// Paths are censored wherever they appear at these depths; the leak tests feed canary values
// through every path the service logs and search the output.

import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export const REDACTED_PATHS = [
  'password',
  'token',
  'authorization',
  '*.password',
  '*.token',
  '*.authorization',
  '*.*.password',
  '*.*.token',
  'headers.authorization',
  'headers.cookie',
  'headers["x-auth-token"]',
  'headers["x-subject-token"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-auth-token"]',
  'req.headers["x-subject-token"]',
  'res.headers["x-subject-token"]',
  'config.cloud.iam.password',
  'config.audit.postgresUrl',
  'config.audit.checkpoints.signingKey',
  'config.rateLimit.redisUrl',
];

export interface LoggerOptions {
  readonly level: string;
  /** Defaults to stdout; tests pass a stream they can search. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'rescind' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
