// The logger decides redaction, and only the logger (STYLE: "one writer per concern"). Every
// line passes through redactSecrets: a value under a sensitive key (case-insensitive, at any
// depth down to REDACT_DEPTH, in arrays and errors too) is censored, so a header map, a request
// body or a config object logged whole cannot carry a secret out. With the gateway's own secrets
// given (`secrets`), every string of the line, the message included, also goes through the
// shared redaction (src/text/redact-secrets.ts): a password a driver or the cloud quotes back, cut short,
// base64- or percent-encoded, is replaced wherever it appears. One walk per line: pino's
// path-based `redact` with wildcards at several depths costs about 50 times more per line. The
// leak tests feed canary values through every path the service logs and search the output.

import { pino, type DestinationStream, type Logger } from 'pino';
import { REDACTED, createSecretRedactor, type Secret } from '../text/redact-secrets.ts';
import { currentLogContext } from './log-context.ts';

export type { Logger } from 'pino';

/** Keys whose values never reach a log line, compared case-insensitively. */
export const SENSITIVE_KEYS: readonly string[] = [
  'password',
  'token',
  'secret',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-auth-token',
  'x-subject-token',
  'signingKey',
  'postgresUrl',
  'postgresMigrationUrl',
  'redisUrl',
];

/** Nesting walked for sensitive keys; deeper values are logged as they are. */
export const REDACT_DEPTH = 8;

export { REDACTED };

const SENSITIVE = new Set(SENSITIVE_KEYS.map((key) => key.toLowerCase()));

/**
 * A child logger's bindings bypass the formatters (pino serializes them once, at `child()`), so
 * the sensitive keys are also censored there by pino's own path redaction, at the top level and
 * in the spellings code uses (`token`, `Authorization`, `X-Auth-Token`). Binding a secret nested
 * deeper into a child logger is the one thing this does not catch: bind ids, not objects.
 */
const BINDING_PATHS = [
  ...new Set(
    SENSITIVE_KEYS.flatMap((key) => [key, key.toLowerCase(), headerCase(key)]).map((key) =>
      /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`,
    ),
  ),
];

export interface LoggerOptions {
  readonly level: string;
  /** Defaults to stdout, each line written synchronously (nothing is lost when the process dies). */
  readonly destination?: DestinationStream;
  /** The gateway's own secrets (configSecrets): scrubbed from every string of every line. */
  readonly secrets?: readonly Secret[];
}

type TextRedaction = ((text: string) => string) | undefined;

export function createLogger(options: LoggerOptions): Logger {
  const secrets = options.secrets ?? [];
  const redactor = secrets.length === 0 ? undefined : createSecretRedactor(secrets);
  const text: TextRedaction =
    redactor === undefined ? undefined : (value: string) => redactor.redact(value);
  return pino(
    {
      level: options.level,
      base: { service: 'rescind' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (line) => redactValue(line, 0, text) as Record<string, unknown>,
      },
      ...(text === undefined
        ? {}
        : {
            // The message and its %s arguments never pass the `log` formatter.
            hooks: {
              logMethod(args, method) {
                const scrubbed = args.map((arg: unknown) =>
                  typeof arg === 'string' ? text(arg) : arg,
                ) as Parameters<typeof method>;
                method.apply(this, scrubbed);
              },
            },
          }),
      redact: { paths: BINDING_PATHS, censor: REDACTED },
      // redactSecrets has already turned every error into pino's serialized form; serializing
      // that again would name its type "Object".
      serializers: { err: serializeError },
      mixin: requestFields,
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/**
 * The value with every sensitive key's value censored. Copy on write: what holds no secret is
 * returned as it is, and the caller's objects are never changed.
 */
export function redactSecrets<T extends object>(value: T): T {
  return redactValue(value, 0, undefined) as T;
}

function redactValue(value: unknown, depth: number, text: TextRedaction): unknown {
  if (typeof value === 'string') return text === undefined ? value : text(value);
  if (typeof value !== 'object' || value === null || depth > REDACT_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item: unknown, index) => {
      const redacted = redactValue(item, depth + 1, text);
      if (redacted !== item) (copy ??= [...(value as unknown[])])[index] = redacted;
    });
    return copy ?? value;
  }
  // An error becomes what pino's error serializer makes of it (type, message and stack with
  // its causes', own fields), and that is walked like any object.
  if (value instanceof Error)
    return redactRecord({ ...pino.stdSerializers.err(value) }, depth, true, text);
  const prototype: unknown = Object.getPrototypeOf(value);
  // Plain objects only; other class instances (Buffers, Dates) hold no keyed secrets.
  if (prototype !== Object.prototype && prototype !== null) return value;
  return redactRecord(value as Record<string, unknown>, depth, false, text);
}

function redactRecord(
  record: Record<string, unknown>,
  depth: number,
  fresh: boolean,
  text: TextRedaction,
): unknown {
  let copy: Record<string, unknown> | undefined = fresh ? record : undefined;
  for (const key of Object.keys(record)) {
    const item = record[key];
    const redacted =
      SENSITIVE.has(key.toLowerCase()) && item !== undefined && item !== null
        ? REDACTED
        : redactValue(item, depth + 1, text);
    if (redacted === item) continue;
    copy ??= { ...record };
    copy[key] = redacted;
  }
  return copy ?? record;
}

function serializeError(value: unknown): unknown {
  return value instanceof Error ? pino.stdSerializers.err(value) : value;
}

/** `x-auth-token` → `X-Auth-Token`. */
function headerCase(key: string): string {
  return key.replace(
    /(^|-)([a-z])/g,
    (_, dash: string, letter: string) => dash + letter.toUpperCase(),
  );
}

/** Writes out what the destination still buffers; resolves when it is on its way. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    logger.flush(() => {
      resolve();
    });
  });
}

/** What a logger's own bindings already say about the request (a request's child logger). */
interface BoundFields {
  readonly requestId: unknown;
  readonly traceId: boolean;
}
const boundFields = new WeakMap<Logger, BoundFields>();

/**
 * The current request's id and trace id, for lines written by modules that log with the root
 * logger while they work for a request. What the line or its logger already says is kept; a
 * trace id is only added to a line that names the current request (or none).
 */
function requestFields(
  line: object,
  _level: number,
  logger: Logger,
): Partial<Record<'requestId' | 'traceId', string>> {
  const context = currentLogContext();
  if (context === undefined) return {};
  let bound = boundFields.get(logger);
  if (bound === undefined) {
    const bindings = logger.bindings();
    bound = { requestId: bindings.requestId, traceId: 'traceId' in bindings };
    boundFields.set(logger, bound);
  }
  const named = 'requestId' in line ? line.requestId : bound.requestId;
  if (named === undefined) return { requestId: context.requestId, traceId: context.traceId };
  return named === context.requestId && !bound.traceId && !('traceId' in line)
    ? { traceId: context.traceId }
    : {};
}
