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
  const parts: string[] = [];
  write(value, parts, 0);
  return parts.join('');
}

const MAX_DEPTH = 32;

function write(value: unknown, parts: string[], depth: number): void {
  if (depth > MAX_DEPTH) throw new TypeError('canonicalJson: nesting too deep');
  if (value === null) {
    parts.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      parts.push(value ? 'true' : 'false');
      return;
    case 'string':
      parts.push(JSON.stringify(value));
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
      // ECMAScript Number-to-String, as JCS §3.2.2.3 requires; -0 becomes 0.
      parts.push(JSON.stringify(value));
      return;
    case 'object':
      if (Array.isArray(value)) {
        writeArray(value as readonly unknown[], parts, depth);
        return;
      }
      writeObject(value, parts, depth);
      return;
    default:
      throw new TypeError(`canonicalJson: cannot represent a ${typeof value}`);
  }
}

function writeArray(items: readonly unknown[], parts: string[], depth: number): void {
  parts.push('[');
  for (const [index, item] of items.entries()) {
    if (item === undefined) throw new TypeError('canonicalJson: undefined in an array');
    if (index > 0) parts.push(',');
    write(item, parts, depth + 1);
  }
  parts.push(']');
}

function writeObject(value: object, parts: string[], depth: number): void {
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new TypeError('canonicalJson: only plain objects can be represented');
  }
  const entries = Object.entries(value).filter(([, child]) => child !== undefined);
  // Default sort compares UTF-16 code units, exactly as JCS §3.2.3 orders property names.
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  parts.push('{');
  for (const [index, [key, child]] of entries.entries()) {
    if (index > 0) parts.push(',');
    parts.push(JSON.stringify(key), ':');
    write(child, parts, depth + 1);
  }
  parts.push('}');
}
