// The canonical JSON that audit hashes and signatures are computed over. It is RFC 8785 (JCS)
// restricted to what audit records contain; docs/audit-canonical-json.md is the specification
// and holds the test vectors that test/unit/audit/canonical-json.test.ts checks.

/** A value canonicalJson accepts: JSON data made of plain objects, arrays and primitives. */
export type CanonicalValue =
  | null
  | boolean
  | number
  | string
  | readonly CanonicalValue[]
  | { readonly [key: string]: CanonicalValue | undefined };

/**
 * Serializes a value with object keys sorted by UTF-16 code units, no whitespace, strings and
 * numbers as ECMAScript's JSON.stringify writes them (which is what JCS prescribes), and
 * properties whose value is `undefined` left out. Anything JSON cannot represent exactly
 * (NaN, ±Infinity, undefined in an array, a Date, a Map, a class instance) throws: a record that
 * would hash differently after a round trip through JSON must never be written.
 */
export function canonicalJson(value: unknown): string {
  return write(value, 0);
}

/** One member of an object as canonicalJson writes it: its key, and `"key":value`. */
export type CanonicalMember = readonly [key: string, json: string];

/**
 * The members of a plain object in canonical order. `joinMembers` makes the object's canonical
 * JSON of them, so that a record's JSON with and without one member (its hash) costs one
 * serialization, not two (seal-record.ts).
 */
export function canonicalMembers(value: object): CanonicalMember[] {
  return members(value, 0);
}

/** The canonical JSON of the object the members came from. */
export function joinMembers(list: readonly CanonicalMember[]): string {
  return `{${list.map(([, json]) => json).join(',')}}`;
}

/** The members with `key` (not yet among them) holding `valueJson`, in canonical order. */
export function withMember(
  list: readonly CanonicalMember[],
  key: string,
  valueJson: string,
): CanonicalMember[] {
  const out = [...list];
  const at = out.findIndex(([existing]) => existing > key);
  out.splice(at === -1 ? out.length : at, 0, [key, `${JSON.stringify(key)}:${valueJson}`]);
  return out;
}

const MAX_DEPTH = 32;

// Built by string concatenation, with keys sorted once per object: the audit writer serializes
// every record on the event loop, so this is on every request's path (docs/benchmarks.md).
function write(value: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new TypeError('canonicalJson: nesting too deep');
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
      // ECMAScript Number-to-String, as JCS §3.2.2.3 requires; -0 becomes 0.
      return JSON.stringify(value);
    case 'object':
      if (Array.isArray(value)) return writeArray(value as readonly unknown[], depth);
      return joinMembers(members(value, depth));
    default:
      throw new TypeError(`canonicalJson: cannot represent a ${typeof value}`);
  }
}

function writeArray(items: readonly unknown[], depth: number): string {
  let out = '[';
  for (let index = 0; index < items.length; index += 1) {
    const item = items[index];
    if (item === undefined) throw new TypeError('canonicalJson: undefined in an array');
    if (index > 0) out += ',';
    out += write(item, depth + 1);
  }
  return `${out}]`;
}

function members(value: object, depth: number): CanonicalMember[] {
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new TypeError('canonicalJson: only plain objects can be represented');
  }
  const record = value as Record<string, unknown>;
  // Default sort compares UTF-16 code units, exactly as JCS §3.2.3 orders property names.
  const keys = Object.keys(record).sort();
  const out: CanonicalMember[] = [];
  for (const key of keys) {
    const child = record[key];
    if (child === undefined) continue;
    out.push([key, `${JSON.stringify(key)}:${write(child, depth + 1)}`]);
  }
  return out;
}
