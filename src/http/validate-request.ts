import type { RequestHandler } from 'express';
import type { Config } from '../config/schema.ts';
import type { OperationSpec } from '../operations/catalog.ts';
import { PROJECT_ALIAS, checkParam } from '../operations/param-rules.ts';
import { ProblemError, type FieldError } from '../problems/problem-error.ts';
import { scrubText } from '../text/scrub-text.ts';
import type { ResolvedProject } from '../upstream/revoker.ts';
import { scopeOf } from './request-scope.ts';

const COMMON_QUERY = ['project'];
const MAX_AUDITED_VALUE = 128;
// An unknown parameter's name is echoed back to the caller: bounded, and no more than a few.
const MAX_FIELD_NAME = 64;
const MAX_UNKNOWN_REPORTED = 10;

/**
 * Validates every parameter of `operation` against the catalog's rules, and resolves the
 * project alias. All problems are reported at once, each naming its field; nothing invalid goes
 * further. Unknown query parameters are refused: a typo such as `?projet=eu` must not silently
 * revoke in the default project.
 */
export function createValidateRequest(
  operation: OperationSpec,
  cloud: Config['cloud'],
): RequestHandler {
  const allowedQuery = new Set([...COMMON_QUERY, ...Object.keys(operation.queryParams)]);
  return function validateRequest(req, res, next) {
    const scope = scopeOf(res);
    const errors: FieldError[] = [];
    const target: Record<string, string> = {};
    const params = req.params as Record<string, string | undefined>;
    const query = req.query as Record<string, unknown>;

    for (const [field, rule] of Object.entries(operation.pathParams)) {
      const problem = checkParam(rule, params[field]);
      if (problem === undefined) target[field] = params[field] ?? '';
      else errors.push({ field, message: problem });
    }
    for (const [field, rule] of Object.entries(operation.queryParams)) {
      const problem = checkParam(rule, query[field]);
      if (problem === undefined) target[field] = String(query[field]);
      else errors.push({ field, message: problem });
    }
    const unknown = Object.keys(query).filter((field) => !allowedQuery.has(field));
    for (const field of unknown.slice(0, MAX_UNKNOWN_REPORTED)) {
      errors.push({
        field: callerText(field, MAX_FIELD_NAME),
        message: 'is not a parameter of this route',
      });
    }

    const project = resolveProject(query.project, cloud, errors);
    if (
      project !== undefined &&
      cloud.projects[project.alias]?.endpoints?.[operation.service] === 'none'
    ) {
      // Turned off for this project (docs/upstream.md "Endpoints"): nothing to call.
      errors.push({
        field: 'project',
        message: `"${project.alias}" does not use ${operation.service} (its endpoint is "none")`,
      });
    }
    if (errors.length > 0) {
      next(
        new ProblemError('INVALID_REQUEST', {
          detail: `Invalid ${errors.map((error) => error.field).join(', ')}.`,
          errors,
        }),
      );
      return;
    }
    scope.target = target;
    scope.project = project;
    next();
  };
}

function resolveProject(
  value: unknown,
  cloud: Config['cloud'],
  errors: FieldError[],
): ResolvedProject | undefined {
  const alias = value === undefined ? 'default' : value;
  const problem = checkParam(PROJECT_ALIAS, alias);
  if (problem !== undefined) {
    errors.push({ field: 'project', message: problem });
    return undefined;
  }
  const name = alias as string;
  const project = Object.hasOwn(cloud.projects, name) ? cloud.projects[name] : undefined;
  if (project === undefined) {
    errors.push({ field: 'project', message: `"${name}" is not a configured project` });
    return undefined;
  }
  return { alias: name, id: project.id, region: project.region ?? cloud.region };
}

/**
 * The ids as received, for the audit record of a request refused before validation finished.
 * Truncated and stripped of control characters: they are the caller's words, not ours.
 */
export function rawTargetOf(
  operation: OperationSpec,
  params: unknown,
  query: unknown,
): Record<string, string> {
  const target: Record<string, string> = {};
  const sources = [
    [Object.keys(operation.pathParams), params],
    [Object.keys(operation.queryParams), query],
  ] as const;
  for (const [fields, source] of sources) {
    for (const field of fields) {
      const value = (source as Record<string, unknown> | undefined)?.[field];
      if (value === undefined) continue;
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      target[field] = callerText(text, MAX_AUDITED_VALUE);
    }
  }
  return target;
}

/** The caller's text made safe to echo, log or audit: no control characters, at most `max`. */
function callerText(text: string, max: number): string {
  return scrubText(text, { controls: 'mark', maxLength: max });
}
