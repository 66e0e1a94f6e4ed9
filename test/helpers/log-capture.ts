// Log capture for the tests: the gateway's real logger (redaction, mixin, formatters) writing
// to memory.
import { Writable } from 'node:stream';
import { createLogger, type Logger, type LoggerOptions } from '../../src/observability/logger.ts';

export interface CapturedLogger {
  readonly logger: Logger;
  /** Every line written so far, parsed. */
  readonly lines: () => Record<string, unknown>[];
  /** Everything written so far, as text. */
  readonly text: () => string;
}

/** A real logger at `level`, scrubbing `secrets`, writing to memory. */
export function captureLogger(
  level = 'trace',
  secrets: LoggerOptions['secrets'] = [],
): CapturedLogger {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = createLogger({ level, destination, secrets });
  const text = () => chunks.join('');
  return {
    logger,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
