// A schema issue in plain words: what was expected and what was given ("must be a number, got
// the string \"abc\""), the nearest known key for an unknown one, and, for a missing section,
// what inside it is really required. Values are echoed unless the key holds a secret.

import type { z } from 'zod';
import type { ConfigProblem } from './config-error.ts';
import { ENV_VARIABLES } from './env-table.ts';
import { nearestKey } from './nearest-key.ts';
import { knownKeysAt, schemaAt } from './schema-at.ts';
import { boundLength } from '../text/scrub-text.ts';

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

export interface IssueContext {
  readonly root: z.core.$ZodType;
  /** The variable that sets this key (or the nearest enclosing key's), if any. */
  readonly variableFor: (path: readonly string[]) => string | undefined;
}

const SECRET_KEYS = new Set(
  ENV_VARIABLES.filter((variable) => variable.secret).map((variable) => variable.key.join('.')),
);
/** Keys whose values are never echoed, whether or not a variable sets them. */
const SECRET_NAME = /password|secret|token|key$/i;
/** A URL may carry a password in its userinfo (`scheme://user:pass@host`). */
const URL_WITH_USERINFO = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i;
const MAX_ECHO = 80;

/** Whether the value at this key path may never appear in a message. */
export function isSecretKey(path: readonly string[]): boolean {
  return SECRET_KEYS.has(path.join('.')) || SECRET_NAME.test(path.at(-1) ?? '');
}

/** Whether this value, given at this key path, may never appear in a message. */
export function isSecretValue(path: readonly string[], value: unknown): boolean {
  return isSecretKey(path) || (typeof value === 'string' && URL_WITH_USERINFO.test(value));
}

/** The problems one schema issue stands for (usually one; an unknown-keys issue names each). */
export function describeIssue(issue: Issue, context: IssueContext): ConfigProblem[] {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(context.root, issue.path);
    return issue.keys.map((unknownKey) => {
      const suggestion = nearestKey(unknownKey, known);
      return {
        key: [...path, unknownKey].join('.'),
        message: `is not a known key${suggestion === undefined ? '' : `; did you mean \`${suggestion}\`?`}`,
      };
    });
  }
  if (issue.code === 'invalid_type' && issue.input === undefined && isSection(issue.expected)) {
    const inside = describeMissingSection(issue.path, context);
    if (inside.length > 0) return inside;
  }
  const variable = context.variableFor(path);
  return [
    {
      key: path.length > 0 ? path.join('.') : '(root)',
      ...(variable === undefined ? {} : { variable }),
      message: describeMessage(issue, isSecretValue(path, issue.input)),
    },
  ];
}

function isSection(expected: string): boolean {
  return expected === 'object' || expected === 'record';
}

/**
 * A section that is absent as a whole (`cloud`): what an empty one lacks, key by key, rather than
 * the section's name and whichever of its variables comes first. The whole schema judges the
 * empty section, so checks that span keys (what a credentials mode needs) speak too.
 */
function describeMissingSection(path: Path, context: IssueContext): ConfigProblem[] {
  if (schemaAt(context.root, path) === undefined) return [];
  const parsed = (context.root as z.ZodType).safeParse(emptySectionAt(path), {
    reportInput: true,
  });
  if (parsed.success) return [];
  return parsed.error.issues
    .filter((inner) => path.every((key, index) => inner.path[index] === key))
    .flatMap((inner) => describeIssue(inner, context));
}

/** `{a: {b: {}}}` for the path `a.b`. */
function emptySectionAt(path: Path): Record<PropertyKey, unknown> {
  return path.reduceRight<Record<PropertyKey, unknown>>((inner, key) => ({ [key]: inner }), {});
}

function describeMessage(issue: Issue, secret: boolean): string {
  const got = issue.input === undefined ? '' : `, got ${describeValue(issue.input, secret)}`;
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${expectedType(issue)}${got}`;
    case 'too_small':
      return `${tooSmall(issue)}${got}`;
    case 'too_big':
      return `${tooBig(issue)}${got}`;
    case 'invalid_value': {
      const options = issue.values.map((value) => JSON.stringify(value));
      const typed = typeof issue.input === 'string' && !secret ? issue.input : undefined;
      const near = typed === undefined ? undefined : nearestKey(typed, issue.values.map(String));
      return `must be ${options.length === 1 ? options[0] : `one of ${options.join(', ')}`}${got}${near === undefined ? '' : `; did you mean "${near}"?`}`;
    }
    case 'invalid_key':
      return `is not a valid name: ${issue.issues.map((inner) => inner.message).join('; ')}`;
    default:
      return `${issue.message}${isScalar(issue.input) ? got : ''}`;
  }
}

function expectedType(issue: z.core.$ZodIssueInvalidType): string {
  switch (issue.expected) {
    case 'int':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
    case 'record':
      return 'a mapping';
    default:
      return `of type ${issue.expected}`;
  }
}

function tooSmall(issue: z.core.$ZodIssueTooSmall): string {
  const bound = Number(issue.minimum);
  if (issue.origin === 'string')
    return bound <= 1 ? 'must not be empty' : `must be at least ${bound} characters long`;
  if (issue.origin === 'array')
    return `must list at least ${bound} ${bound === 1 ? 'entry' : 'entries'}`;
  return issue.inclusive === false ? `must be greater than ${bound}` : `must be at least ${bound}`;
}

function tooBig(issue: z.core.$ZodIssueTooBig): string {
  const bound = Number(issue.maximum);
  if (issue.origin === 'string') return `must be at most ${bound} characters long`;
  if (issue.origin === 'array')
    return `must list at most ${bound} ${bound === 1 ? 'entry' : 'entries'}`;
  return issue.inclusive === false ? `must be less than ${bound}` : `must be at most ${bound}`;
}

function isScalar(value: unknown): boolean {
  return ['string', 'number', 'boolean'].includes(typeof value) || value === null;
}

/** `the string "abc"`, `the number 1.5`, `true`, `null`, `a list`; a secret only by its type. */
export function describeValue(value: unknown, secret: boolean): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      if (secret) return 'a string (not shown: a secret)';
      if (value === '') return 'an empty string';
      return `the string ${JSON.stringify(boundLength(value, MAX_ECHO, 'after'))}`;
    case 'number':
      return secret ? 'a number (not shown: a secret)' : `the number ${value}`;
    case 'boolean':
      return secret ? 'true or false (not shown: a secret)' : String(value);
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}
