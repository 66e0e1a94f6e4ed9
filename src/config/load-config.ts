import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { PACKAGE_ROOT } from '../package-root.ts';
import { EndpointConfigError } from '../cloud/endpoint-config-error.ts';
import { resolveEndpoints } from '../cloud/resolve-endpoints.ts';
import { ConfigError, type ConfigProblem } from './config-error.ts';
import { describeIssue, describeValue } from './describe-issue.ts';
import {
  CONFIG_FILE_VARIABLE,
  ENV_VARIABLES,
  envVariableForKey,
  type EnvVariable,
} from './env-table.ts';
import { checkedConfigSchema, configSchema, type Config } from './schema.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_CONFIG_FILE = fileURLToPath(new URL('config/default.yaml', PACKAGE_ROOT));

/** The file the configuration is read from: `RESCIND_CONFIG`, else config/default.yaml. */
export function configFilePath(env: Env): string {
  return nonEmpty(env[CONFIG_FILE_VARIABLE]) ?? DEFAULT_CONFIG_FILE;
}

/**
 * Reads the configuration file, applies the environment over it, validates the whole with the
 * schema and returns a frozen Config. Throws ConfigError listing every problem found.
 */
export function loadConfig(env: Env): Config {
  const problems: ConfigProblem[] = [];
  const raw = readRaw(env, problems);

  // Validate even when the file or a variable was unusable, so every problem is listed at once;
  // a key already reported is not reported twice.
  const parsed = checkedConfigSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) addSchemaProblems(problems, parsed.error.issues, []);
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems, configFilePath(env));
  const config = deepFreeze(resolveDerivedDefaults(parsed.data));
  // Every project's service needs an endpoint, from the region table or the configuration.
  const endpoints = resolveEndpoints(config.cloud);
  if (endpoints.problems.length > 0) throw new EndpointConfigError(endpoints);
  return config;
}

/**
 * Only the `audit` section, read from the same file and variables: what the audit CLIs need,
 * so that verifying a trail does not require the gateway's cloud credentials.
 */
export function loadAuditConfig(env: Env): Config['audit'] {
  const problems: ConfigProblem[] = [];
  const raw = readRaw(env, problems).audit;
  const relevant = problems.filter(
    (problem) => problem.key === '(file)' || problem.key.startsWith('audit.'),
  );
  const parsed = configSchema.shape.audit.safeParse(raw, { reportInput: true });
  if (!parsed.success) addSchemaProblems(relevant, parsed.error.issues, ['audit']);
  if (relevant.length > 0 || !parsed.success) throw new ConfigError(relevant, configFilePath(env));
  return deepFreeze(resolveAuditDefaults(parsed.data));
}

function readRaw(env: Env, problems: ConfigProblem[]): Record<string, unknown> {
  const raw = readConfigFile(configFilePath(env), problems);
  applyEnvironment(raw, env, problems);
  return raw;
}

function addSchemaProblems(
  problems: ConfigProblem[],
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly string[],
): void {
  const reported = new Set(problems.map((problem) => problem.key));
  for (const issue of issues) {
    const prefixed = { ...issue, path: [...prefix, ...issue.path] } as z.core.$ZodIssue;
    for (const problem of describeIssue(prefixed, { root: checkedConfigSchema, variableFor })) {
      if (!reported.has(problem.key)) problems.push(problem);
    }
  }
}

function readConfigFile(file: string, problems: ConfigProblem[]): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    problems.push({
      key: '(file)',
      variable: CONFIG_FILE_VARIABLE,
      message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    });
    return {};
  }
  let value: unknown;
  try {
    value = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    problems.push({
      key: '(file)',
      variable: CONFIG_FILE_VARIABLE,
      message: `${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0] ?? ''}`,
    });
    return {};
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push({
      key: '(file)',
      variable: CONFIG_FILE_VARIABLE,
      message: `${file} must hold a mapping`,
    });
    return {};
  }
  return value as Record<string, unknown>;
}

/**
 * Environment variables override the file. Any of them may instead be read from the file named
 * by the same variable with `_FILE` appended (Docker and Kubernetes secrets). An empty variable
 * counts as unset, so `RESCIND_IAM_AGENCY=` in a compose file means "no agency".
 */
function applyEnvironment(raw: Record<string, unknown>, env: Env, problems: ConfigProblem[]): void {
  for (const variable of ENV_VARIABLES) {
    const value = readVariable(variable, env, problems);
    if (value === undefined) continue;
    const converted = convert(variable, value, problems);
    if (converted !== undefined) setPath(raw, variable.key, converted);
  }
}

function readVariable(
  variable: EnvVariable,
  env: Env,
  problems: ConfigProblem[],
): string | undefined {
  const direct = nonEmpty(env[variable.name]);
  const fileName = nonEmpty(env[`${variable.name}_FILE`]);
  const key = variable.key.join('.');
  if (direct !== undefined && fileName !== undefined) {
    problems.push({
      key,
      variable: variable.name,
      message: `set ${variable.name} or ${variable.name}_FILE, not both`,
    });
    return undefined;
  }
  if (fileName === undefined) return direct;
  try {
    // Secret files usually end with a newline that is not part of the secret.
    return readFileSync(fileName, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    problems.push({
      key,
      variable: `${variable.name}_FILE`,
      message: `cannot read ${fileName}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    });
    return undefined;
  }
}

function convert(variable: EnvVariable, value: string, problems: ConfigProblem[]): unknown {
  switch (variable.kind) {
    case 'string':
      return value;
    case 'list':
      return value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0);
    case 'integer': {
      if (!/^\s*-?\d+\s*$/.test(value)) {
        problems.push({
          key: variable.key.join('.'),
          variable: variable.name,
          message: `must be a whole number, got ${describeValue(value, variable.secret)}`,
        });
        return undefined;
      }
      return Number(value);
    }
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const [index, segment] of path.entries()) {
    if (index === path.length - 1) {
      node[segment] = value;
      return;
    }
    const next = node[segment];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      const created: Record<string, unknown> = {};
      node[segment] = created;
      node = created;
    } else {
      node = next as Record<string, unknown>;
    }
  }
}

/** The variable that sets this key, or the nearest enclosing key's (cloud.projects.default). */
function variableFor(path: readonly string[]): string | undefined {
  for (let length = path.length; length > 0; length -= 1) {
    const variable = envVariableForKey(path.slice(0, length));
    if (variable) return variable.name;
  }
  const prefix = path.join('.');
  const child = ENV_VARIABLES.find((variable) => variable.key.join('.').startsWith(`${prefix}.`));
  return prefix.length > 0 ? child?.name : undefined;
}

function resolveDerivedDefaults(config: Config): Config {
  return { ...config, audit: resolveAuditDefaults(config.audit) };
}

/** The chain is named after the host when no instance id is set (stable per pod/container). */
function resolveAuditDefaults(audit: Config['audit']): Config['audit'] {
  const instanceId =
    audit.instanceId === ''
      ? hostname()
          .replace(/[^A-Za-z0-9._-]/g, '-')
          .slice(0, 64) || 'rescind'
      : audit.instanceId;
  return {
    ...audit,
    instanceId,
    checkpoints: {
      ...audit.checkpoints,
      // PostgreSQL keeps its checkpoints in the database; a file only when one is configured.
      path:
        audit.checkpoints.path ??
        (audit.store === 'sqlite' ? `${audit.sqlitePath}.checkpoints` : undefined),
    },
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
