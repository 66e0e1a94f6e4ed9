// Finding the part of the configuration schema that governs a key path, so that an error can
// name the keys that were possible there (the nearest-key suggestion) or what a missing section
// really needs.

import type { z } from 'zod';

type AnySchema = z.core.$ZodType;

interface Def {
  readonly type: string;
  readonly innerType?: AnySchema;
  readonly in?: AnySchema;
  readonly shape?: Readonly<Record<string, AnySchema>>;
  readonly valueType?: AnySchema;
  readonly element?: AnySchema;
}

const def = (schema: AnySchema): Def => schema._zod.def;

/** The schema itself, without defaults, optionality and pipes around it. */
function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (;;) {
    const { innerType, in: input } = def(current);
    const next = innerType ?? (def(current).type === 'pipe' ? input : undefined);
    if (next === undefined) return current;
    current = next;
  }
}

/** The schema of the value at `path` below `root`, or undefined when the path leads nowhere. */
export function schemaAt(root: AnySchema, path: readonly PropertyKey[]): AnySchema | undefined {
  let current: AnySchema | undefined = unwrap(root);
  for (const segment of path) {
    if (current === undefined) return undefined;
    const { type, shape, valueType, element } = def(current);
    const next: AnySchema | undefined =
      type === 'object'
        ? shape?.[String(segment)]
        : type === 'record'
          ? valueType
          : type === 'array'
            ? element
            : undefined;
    current = next === undefined ? undefined : unwrap(next);
  }
  return current;
}

/** The keys an object schema at `path` knows, or none when it is not an object. */
export function knownKeysAt(root: AnySchema, path: readonly PropertyKey[]): string[] {
  const schema = schemaAt(root, path);
  const shape = schema === undefined ? undefined : def(schema).shape;
  return shape === undefined ? [] : Object.keys(shape);
}
