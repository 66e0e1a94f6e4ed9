// Checks a value against a schema of the OpenAPI document: the JSON Schema keywords the
// document uses (type, const, enum, required, properties, additionalProperties, items, pattern,
// lengths, bounds, allOf, anyOf, not, local $ref). Enough to prove the gateway answers what it documents.

type Schema = Record<string, unknown>;

export function schemaErrors(schema: unknown, value: unknown, root: Schema, at = '$'): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const s = schema as Schema;
  const errors: string[] = [];
  if (typeof s.$ref === 'string') {
    errors.push(...schemaErrors(resolve(s.$ref, root), value, root, at));
  }
  if (Array.isArray(s.allOf)) {
    for (const part of s.allOf) errors.push(...schemaErrors(part, value, root, at));
  }
  if (Array.isArray(s.anyOf)) {
    const failures = s.anyOf.map((part) => schemaErrors(part, value, root, at));
    if (!failures.some((found) => found.length === 0)) {
      errors.push(`${at} matches none of its alternatives: ${failures.flat().join('; ')}`);
    }
  }
  if (s.not !== undefined && schemaErrors(s.not, value, root, at).length === 0) {
    errors.push(`${at} matches a schema it must not`);
  }
  if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(value)) {
    errors.push(`${at} is ${JSON.stringify(value)}, not ${JSON.stringify(s.const)}`);
  }
  if (
    Array.isArray(s.enum) &&
    !s.enum.some((item) => JSON.stringify(item) === JSON.stringify(value))
  ) {
    errors.push(`${at} is ${JSON.stringify(value)}, not one of ${JSON.stringify(s.enum)}`);
  }
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((type) => hasType(value, type))) {
      errors.push(`${at} is not of type ${types.join('|')}`);
      return errors;
    }
  }
  if (typeof value === 'string') {
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) {
      errors.push(`${at} does not match ${s.pattern}`);
    }
    if (typeof s.minLength === 'number' && value.length < s.minLength)
      errors.push(`${at} is too short`);
    if (typeof s.maxLength === 'number' && value.length > s.maxLength)
      errors.push(`${at} is too long`);
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum)
      errors.push(`${at} is below ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum)
      errors.push(`${at} is above ${s.maximum}`);
  }
  if (Array.isArray(value) && s.items !== undefined) {
    value.forEach((item, index) =>
      errors.push(...schemaErrors(s.items, item, root, `${at}[${index}]`)),
    );
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const properties = (s.properties ?? {}) as Record<string, unknown>;
    for (const name of (s.required ?? []) as string[]) {
      if (!(name in record)) errors.push(`${at}.${name} is missing`);
    }
    for (const [name, item] of Object.entries(record)) {
      if (name in properties) {
        errors.push(...schemaErrors(properties[name], item, root, `${at}.${name}`));
      } else if (s.additionalProperties === false) {
        errors.push(`${at}.${name} is not allowed`);
      } else if (typeof s.additionalProperties === 'object') {
        errors.push(...schemaErrors(s.additionalProperties, item, root, `${at}.${name}`));
      }
    }
  }
  return errors;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return typeof value === type;
  }
}

function resolve(ref: string, root: Schema): unknown {
  if (!ref.startsWith('#/')) throw new Error(`only local references: ${ref}`);
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    node = (node as Record<string, unknown> | undefined)?.[
      part.replaceAll('~1', '/').replaceAll('~0', '~')
    ];
  }
  if (node === undefined) throw new Error(`unresolved reference ${ref}`);
  return node;
}
