// SimulatorOptions checked as a whole at start: unknown keys and every bad value are listed in
// one error, so a test with a typo fails at setup, not with a puzzling answer later.
import { DEFAULT_CALL_LOG_LIMIT } from './call-log.ts';
import { DEMO_ACCOUNT, DEMO_AGENCY, DEMO_PROJECTS } from './demo-seed.ts';
import { resolveCredentialOptions, type ResolvedCredentialOptions } from './sim-credentials.ts';
import type { SimAccount, SimAgency, SimProject, SimulatorOptions } from './simulator-types.ts';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 0;
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 86_400;
// Real Huawei PKI tokens are about 9 KB.
export const DEFAULT_TOKEN_SIZE_BYTES = 9_000;
// SCM delete-CSR (docs/api.md "Upstream calls") bounds X-Auth-Token to 32 .. 2,097,152 characters.
const MIN_TOKEN_SIZE = 32;
const MAX_TOKEN_SIZE = 2_097_152;
const PROJECT_ID = /^[0-9a-f]{32}$/;

export interface SimulatorConfig {
  host: string;
  port: number;
  accounts: readonly SimAccount[];
  agencies: readonly SimAgency[];
  projects: readonly SimProject[];
  tokenLifetimeSeconds: number;
  tokenSizeBytes: number;
  seed: 'demo' | 'none';
  clock: () => number;
  autoReseed: boolean;
  callLogLimit: number;
  credentials: ResolvedCredentialOptions;
}

export class SimulatorOptionsError extends Error {
  readonly code = 'SIM_INVALID_OPTIONS';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid simulator options: ${problems.join('; ')}`);
    this.name = 'SimulatorOptionsError';
    this.problems = problems;
  }
}

const KNOWN_KEYS = new Set<string>([
  'host',
  'port',
  'accounts',
  'agencies',
  'projects',
  'tokenLifetimeSeconds',
  'tokenSizeBytes',
  'seed',
  'clock',
  'autoReseed',
  'callLogLimit',
  'credentials',
] satisfies (keyof SimulatorOptions)[]);

const isText = (value: unknown): value is string => typeof value === 'string' && value !== '';

function checkItems(
  problems: string[],
  name: string,
  items: unknown,
  fields: readonly string[],
): void {
  if (!Array.isArray(items)) {
    problems.push(`${name} must be an array`);
    return;
  }
  items.forEach((item: unknown, i) => {
    for (const field of fields) {
      const value =
        typeof item === 'object' && item !== null
          ? (item as Record<string, unknown>)[field]
          : undefined;
      if (!isText(value)) problems.push(`${name}[${i}].${field} must be a non-empty string`);
    }
  });
}

/** The accounts, agencies and projects the simulator knows. */
function checkDirectory(problems: string[], o: SimulatorOptions): void {
  if (o.accounts !== undefined) {
    checkItems(problems, 'accounts', o.accounts, [
      'domain',
      'domainId',
      'user',
      'userId',
      'password',
    ]);
  }
  if (o.agencies !== undefined)
    checkItems(problems, 'agencies', o.agencies, ['domain', 'name', 'trustedDomain']);
  if (o.projects !== undefined) {
    checkItems(problems, 'projects', o.projects, ['id', 'name']);
    if (Array.isArray(o.projects)) {
      if (o.projects.length === 0) problems.push('projects must not be empty');
      const seen = new Set<string>();
      o.projects.forEach((p, i) => {
        if (isText(p.id) && !PROJECT_ID.test(p.id))
          problems.push(`projects[${i}].id must be 32 lowercase hex characters`);
        if (seen.has(p.id)) problems.push(`projects[${i}].id ${p.id} is listed twice`);
        seen.add(p.id);
      });
    }
  }
}

export function resolveSimulatorOptions(options: SimulatorOptions = {}): SimulatorConfig {
  const problems: string[] = [];
  for (const key of Object.keys(options)) {
    if (!KNOWN_KEYS.has(key)) problems.push(`unknown option "${key}"`);
  }
  const o = options;
  if (o.host !== undefined && !isText(o.host)) problems.push('host must be a non-empty string');
  if (o.port !== undefined && !(Number.isInteger(o.port) && o.port >= 0 && o.port <= 65_535)) {
    problems.push('port must be an integer from 0 to 65535');
  }
  checkDirectory(problems, o);
  if (
    o.tokenLifetimeSeconds !== undefined &&
    !(Number.isFinite(o.tokenLifetimeSeconds) && o.tokenLifetimeSeconds > 0)
  ) {
    problems.push('tokenLifetimeSeconds must be a positive number');
  }
  if (
    o.tokenSizeBytes !== undefined &&
    !(
      Number.isInteger(o.tokenSizeBytes) &&
      o.tokenSizeBytes >= MIN_TOKEN_SIZE &&
      o.tokenSizeBytes <= MAX_TOKEN_SIZE
    )
  ) {
    problems.push(`tokenSizeBytes must be an integer from ${MIN_TOKEN_SIZE} to ${MAX_TOKEN_SIZE}`);
  }
  // Options also arrive from plain JavaScript and JSON, so values are checked, not trusted.
  const seed: unknown = o.seed;
  if (seed !== undefined && seed !== 'demo' && seed !== 'none')
    problems.push("seed must be 'demo' or 'none'");
  if (o.clock !== undefined && typeof o.clock !== 'function')
    problems.push('clock must be a function');
  if (o.autoReseed !== undefined && typeof o.autoReseed !== 'boolean')
    problems.push('autoReseed must be a boolean');
  if (o.callLogLimit !== undefined && !(Number.isInteger(o.callLogLimit) && o.callLogLimit >= 1)) {
    problems.push('callLogLimit must be a positive integer');
  }
  const credentials = resolveCredentialOptions(o.credentials, problems);
  if (problems.length > 0) throw new SimulatorOptionsError(problems);

  return {
    host: o.host ?? DEFAULT_HOST,
    port: o.port ?? DEFAULT_PORT,
    accounts: [...(o.accounts ?? [DEMO_ACCOUNT])],
    agencies: [...(o.agencies ?? [DEMO_AGENCY])],
    projects: [...(o.projects ?? DEMO_PROJECTS)],
    tokenLifetimeSeconds: o.tokenLifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS,
    tokenSizeBytes: o.tokenSizeBytes ?? DEFAULT_TOKEN_SIZE_BYTES,
    seed: o.seed ?? 'demo',
    clock: o.clock ?? Date.now,
    autoReseed: o.autoReseed ?? false,
    callLogLimit: o.callLogLimit ?? DEFAULT_CALL_LOG_LIMIT,
    credentials,
  };
}
