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

/**
 * The members of a plain object in canonical order, as two runs of `"key":value` separated by
 * commas: those whose keys sort before `key` (which the object must not have) and those after.
 * The object's canonical JSON is `{before,after}`, and with `key` added `{before,"key":…,after}`:
 * a record's JSON with and without its hash costs one serialization, not two (seal-record.ts).
 */
export function canonicalMembersAround(
  value: object,
  key: string,
): { readonly before: string; readonly after: string } {
  const record = plainObject(value);
  if (Object.hasOwn(record, key)) throw new TypeError(`canonicalJson: "${key}" is already there`);
  let before = '';
  let after = '';
  for (const name of sortedKeys(record)) {
    const member = memberJson(record, name, 0);
    if (member === undefined) continue;
    if (name < key) before = before === '' ? member : `${before},${member}`;
    else after = after === '' ? member : `${after},${member}`;
  }
  return { before, after };
}

const MAX_DEPTH = 32;

// Built by string concatenation, with keys sorted once per object and no array per member: the audit writer serializes
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
      return writeObject(value, depth);
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

function writeObject(value: object, depth: number): string {
  const record = plainObject(value);
  let out = '';
  for (const key of sortedKeys(record)) {
    const member = memberJson(record, key, depth);
    if (member === undefined) continue;
    out = out === '' ? member : `${out},${member}`;
  }
  return `{${out}}`;
}

/** `"key":value`, or undefined for a property whose value is undefined (left out). */
function memberJson(
  record: Record<string, unknown>,
  key: string,
  depth: number,
): string | undefined {
  const child = record[key];
  return child === undefined ? undefined : `${JSON.stringify(key)}:${write(child, depth + 1)}`;
}

function plainObject(value: object): Record<string, unknown> {
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new TypeError('canonicalJson: only plain objects can be represented');
  }
  return value as Record<string, unknown>;
}

/**
 * The keys in UTF-16 code unit order, exactly as JCS §3.2.3 orders property names (`<` on
 * strings compares code units). An insertion sort in place: records' objects have a few dozen
 * keys at most, and Array.prototype.sort allocates a work copy for every call.
 */
function sortedKeys(record: Record<string, unknown>): string[] {
  const keys = Object.keys(record);
  for (let i = 1; i < keys.length; i += 1) {
    const key = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > key) {
      keys[j + 1] = keys[j] as string;
      j -= 1;
    }
    keys[j + 1] = key;
  }
  return keys;
}
