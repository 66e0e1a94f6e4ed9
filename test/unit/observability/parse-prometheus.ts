// A reader for the Prometheus text exposition format, enough for the tests: families with their
// TYPE and every sample's labels and value.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly type: string;
  readonly samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const SUFFIXES = ['_bucket', '_sum', '_count'];

export function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type?.[1] !== undefined && type[2] !== undefined) {
      families.set(type[1], { type: type[2], samples: [] });
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (match?.[1] === undefined || match[3] === undefined) {
      throw new Error(`not a sample line: ${line}`);
    }
    const name = match[1];
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) {
      if (key !== undefined && value !== undefined) labels[key] = value.replace(/\\(.)/g, '$1');
    }
    const family =
      families.get(name) ??
      families.get(
        SUFFIXES.reduce((base, suffix) => base.replace(new RegExp(`${suffix}$`), ''), name),
      );
    if (family === undefined) throw new Error(`sample ${name} has no TYPE line`);
    family.samples.push({ name, labels, value: Number(match[3]) });
  }
  return families;
}
