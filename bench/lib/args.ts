// Flag parsing shared by the bench commands: every flag is `--name value` or a boolean switch,
// numbers are checked, and a bad flag exits 2 with the usage.

import { parseArgs } from 'node:util';

export interface FlagSpec {
  readonly [name: string]: { readonly type: 'string' | 'boolean'; readonly help: string };
}

export function parseFlags(
  command: string,
  spec: FlagSpec,
): { values: Record<string, string | boolean | undefined>; usage: string } {
  const usage = [
    `usage: ${command} [flags]`,
    ...Object.entries(spec).map(
      ([name, { type, help }]) => `  --${name}${type === 'string' ? ' <value>' : ''}  ${help}`,
    ),
  ].join('\n');
  try {
    const { values } = parseArgs({
      options: {
        ...Object.fromEntries(Object.entries(spec).map(([name, { type }]) => [name, { type }])),
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help === true) {
      console.log(usage);
      process.exit(0);
    }
    return { values, usage };
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    console.error(usage);
    process.exit(2);
  }
}

/** A positive number flag (integers only unless `fractional`), or the fallback. */
export function numberFlag(
  values: Record<string, string | boolean | undefined>,
  name: string,
  fallback: number,
  usage: string,
  fractional = false,
): number {
  const raw = values[name];
  if (raw === undefined || typeof raw === 'boolean') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || (!fractional && !Number.isInteger(n))) {
    console.error(
      `--${name} must be a positive ${fractional ? 'number' : 'integer'}, got "${raw}"`,
    );
    console.error(usage);
    process.exit(2);
  }
  return n;
}

export function listFlag(
  values: Record<string, string | boolean | undefined>,
  name: string,
  fallback: readonly number[],
  usage: string,
): number[] {
  const raw = values[name];
  if (raw === undefined || typeof raw === 'boolean') return [...fallback];
  const list = raw.split(',').map(Number);
  if (list.some((n) => !Number.isInteger(n) || n <= 0)) {
    console.error(`--${name} must be a comma-separated list of positive integers, got "${raw}"`);
    console.error(usage);
    process.exit(2);
  }
  return list;
}

/** `<file> [--top N]`, the arguments of the profile summaries; exits with `usage` when wrong. */
export function fileAndTop(usage: string, fallbackTop: number): { file: string; top: number } {
  const file = process.argv[2];
  if (file === undefined || file.startsWith('--')) {
    console.error(usage);
    process.exit(2);
  }
  const topIndex = process.argv.indexOf('--top');
  const top = numberFlag(
    { top: topIndex === -1 ? undefined : process.argv[topIndex + 1] },
    'top',
    fallbackTop,
    usage,
  );
  return { file, top };
}
