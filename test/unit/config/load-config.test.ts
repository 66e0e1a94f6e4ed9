import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../../src/config/config-error.ts';
import { ENV_VARIABLES } from '../../../src/config/env-table.ts';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../../src/config/load-config.ts';
import { configSchema } from '../../../src/config/schema.ts';
import { configDir, REQUIRED_ENV } from './config-kit.ts';

const dir = configDir('rescind-config-');

const REQUIRED = REQUIRED_ENV;

function problemsOf(
  env: Record<string, string>,
): { key: string; variable?: string; message: string }[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return [...error.problems];
  }
  assert.fail('expected a ConfigError');
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loadConfig', () => {
  it('loads config/default.yaml with the required variables set', () => {
    const config = loadConfig(REQUIRED);
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.server.port, 8080);
    assert.equal(config.cloud.iam.password, 'canary-password-7f3a');
    assert.deepEqual(config.cloud.projects.default, { id: REQUIRED.RESCIND_PROJECT_ID });
    assert.equal(config.rateLimit.windowSeconds, 60);
    assert.equal(config.upstream.deadlineMs, 15000);
    assert.equal(config.audit.checkpoints.path, './data/audit.db.checkpoints');
    assert.ok(config.audit.instanceId.length > 0, 'instance id defaults to the host name');
  });

  it('returns a frozen configuration', () => {
    const config = loadConfig(REQUIRED);
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.cloud.iam));
    assert.throws(() => {
      (config.server as { port: number }).port = 1;
    }, TypeError);
  });

  it('names the key and the variable of every missing required setting at once', () => {
    const problems = problemsOf({});
    const named = problems.map((problem) => `${problem.key} (${problem.variable ?? '-'})`);
    for (const expected of [
      'cloud.iam.domain (RESCIND_IAM_DOMAIN)',
      'cloud.iam.user (RESCIND_IAM_USER)',
      'cloud.iam.password (RESCIND_IAM_PASSWORD)',
      'cloud.projects (RESCIND_PROJECT_ID)',
      'identity.jwt.issuer (RESCIND_JWT_ISSUER)',
      'identity.jwt.audience (RESCIND_JWT_AUDIENCE)',
    ]) {
      assert.ok(named.includes(expected), `${expected} in ${named.join(', ')}`);
    }
  });

  it('refuses a port that is not a number instead of turning it into NaN', () => {
    const problems = problemsOf({ ...REQUIRED, RESCIND_PORT: '80a' });
    assert.deepEqual(problems, [
      {
        key: 'server.port',
        variable: 'RESCIND_PORT',
        message: 'must be a whole number, got the string "80a"',
      },
    ]);
  });

  it('refuses a port out of range', () => {
    const [problem] = problemsOf({ ...REQUIRED, RESCIND_PORT: '70000' });
    assert.equal(problem?.key, 'server.port');
    assert.equal(problem.variable, 'RESCIND_PORT');
  });

  it('accepts port 0 (any free port)', () => {
    assert.equal(loadConfig({ ...REQUIRED, RESCIND_PORT: '0' }).server.port, 0);
  });

  it('reads a secret from the file named by the variable with _FILE appended', () => {
    const secret = file('password', 'from-a-file-secret\n');
    const config = loadConfig({
      ...REQUIRED,
      RESCIND_IAM_PASSWORD: '',
      RESCIND_IAM_PASSWORD_FILE: secret,
    });
    assert.equal(config.cloud.iam.password, 'from-a-file-secret');
  });

  it('refuses a variable set both directly and as _FILE', () => {
    const secret = file('password2', 'x');
    const problems = problemsOf({ ...REQUIRED, RESCIND_IAM_PASSWORD_FILE: secret });
    assert.equal(problems[0]?.key, 'cloud.iam.password');
    assert.match(problems[0].message, /RESCIND_IAM_PASSWORD or RESCIND_IAM_PASSWORD_FILE/);
  });

  it('names the _FILE variable when its file cannot be read', () => {
    const problems = problemsOf({
      ...REQUIRED,
      RESCIND_IAM_PASSWORD: '',
      RESCIND_IAM_PASSWORD_FILE: join(dir, 'missing'),
    });
    assert.equal(problems[0]?.variable, 'RESCIND_IAM_PASSWORD_FILE');
    assert.match(problems[0].message, /ENOENT/);
  });

  it('never echoes a secret in an error message', () => {
    const problems = problemsOf({ ...REQUIRED, RESCIND_AUDIT_STORE: 'postgres' });
    assert.ok(problems.some((problem) => problem.key === 'audit.postgresUrl'));
    const text = new ConfigError(problems).message;
    assert.doesNotMatch(text, /canary-password-7f3a/);
  });

  it('rejects unknown keys in the file, naming them', () => {
    const path = file('unknown.yaml', 'server:\n  prot: 8080\nextra: true\n');
    const problems = problemsOf({ ...REQUIRED, RESCIND_CONFIG: path });
    const keys = problems.map((problem) => problem.key);
    assert.ok(keys.includes('server.prot'));
    assert.ok(keys.includes('extra'));
  });

  it('uses a JSON file named by RESCIND_CONFIG instead of default.yaml', () => {
    const path = file(
      'config.json',
      JSON.stringify({ server: { port: 9999 }, rateLimit: { perCaller: 7 } }),
    );
    const config = loadConfig({ ...REQUIRED, RESCIND_CONFIG: path });
    assert.equal(config.server.port, 9999);
    assert.equal(config.rateLimit.perCaller, 7);
  });

  it('lets the environment override the file', () => {
    const path = file('port.yaml', 'server:\n  port: 9000\n');
    assert.equal(
      loadConfig({ ...REQUIRED, RESCIND_CONFIG: path, RESCIND_PORT: '9100' }).server.port,
      9100,
    );
  });

  it('reports a file that is not valid YAML with the RESCIND_CONFIG variable', () => {
    const path = file('broken.yaml', 'server: [unclosed\n');
    const [problem] = problemsOf({ ...REQUIRED, RESCIND_CONFIG: path });
    assert.equal(problem?.variable, 'RESCIND_CONFIG');
    assert.match(problem.message, /not valid YAML/);
  });

  it('reads extra projects and authorization rules from the file (docs/api.md "Configuration" shape)', () => {
    const path = file(
      'rules.yaml',
      [
        'cloud:',
        '  projects:',
        '    default: { id: "0123456789abcdef0123456789abcdef" }',
        '    eu: { id: "fedcba9876543210fedcba9876543210", region: "eu-west-101", endpoints: { scm: none, modelarts: none } }',
        'authorization:',
        '  rules:',
        '    - groups: ["secops"]',
        '      allow: ["*"]',
        '    - subjects: ["svc-cert-rotator"]',
        '      allow: ["scm.*", "apig.deleteCertificate"]',
      ].join('\n'),
    );
    const env = { ...REQUIRED, RESCIND_CONFIG: path, RESCIND_PROJECT_ID: '' };
    const config = loadConfig(env);
    assert.equal(config.cloud.projects.eu?.region, 'eu-west-101');
    assert.deepEqual(config.authorization.rules[1], {
      subjects: ['svc-cert-rotator'],
      groups: [],
      allow: ['scm.*', 'apig.deleteCertificate'],
    });
  });

  it('refuses a permission that names no operation', () => {
    const path = file(
      'badrule.yaml',
      'authorization:\n  rules:\n    - groups: [x]\n      allow: ["kms.revokeGrnat"]\n',
    );
    const [problem] = problemsOf({ ...REQUIRED, RESCIND_CONFIG: path });
    assert.equal(problem?.key, 'authorization.rules.0.allow.0');
  });

  it('splits RESCIND_TRUSTED_PROXIES and checks each CIDR', () => {
    const env = { ...REQUIRED, RESCIND_IDENTITY_MODE: 'trusted-headers' };
    const config = loadConfig({ ...env, RESCIND_TRUSTED_PROXIES: '10.0.0.0/8, ::1/128' });
    assert.deepEqual(config.identity.trustedProxies, ['10.0.0.0/8', '::1/128']);
    const [problem] = problemsOf({ ...env, RESCIND_TRUSTED_PROXIES: '10.0.0.0/8,300.1.1.1' });
    assert.equal(problem?.key, 'identity.trustedProxies.1');
    assert.equal(problem.variable, 'RESCIND_TRUSTED_PROXIES');
  });

  it('requires trusted proxies in trusted-headers mode', () => {
    const [problem] = problemsOf({ ...REQUIRED, RESCIND_IDENTITY_MODE: 'trusted-headers' });
    assert.equal(problem?.key, 'identity.trustedProxies');
  });

  it('requires the agency domain with an agency', () => {
    const [problem] = problemsOf({ ...REQUIRED, RESCIND_IAM_AGENCY: 'rescind-agency' });
    assert.equal(problem?.key, 'cloud.iam.agencyDomain');
    assert.equal(problem.variable, 'RESCIND_IAM_AGENCY_DOMAIN');
  });

  it('maps every variable of the table onto a key of the schema', () => {
    const file = join(dir, 'empty.yaml');
    writeFileSync(file, '{}');
    for (const variable of ENV_VARIABLES) {
      if (variable.kind !== 'string') continue;
      // A value the key cannot take must be reported against exactly that variable's key.
      const problems = problemsOf({ ...REQUIRED, RESCIND_CONFIG: file, [variable.name]: ' ' });
      const keys = problems.map((problem) => problem.key);
      assert.ok(
        keys.some((key) => key.startsWith(variable.key.join('.'))),
        `${variable.name} → ${keys.join(', ')}`,
      );
    }
  });
});

describe('config/default.yaml', () => {
  it('states exactly the schema defaults', () => {
    const fromFile: unknown = parseYaml(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
    const required = {
      cloud: {
        iam: { domain: 'd', user: 'u', password: 'p' },
        projects: { default: { id: 'x' } },
      },
      identity: { jwt: { issuer: 'i', audience: 'a', jwksUrl: 'https://j.example' } },
    };
    const merge = (base: unknown, extra: unknown): unknown => {
      if (typeof base !== 'object' || base === null || Array.isArray(base)) return extra ?? base;
      const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
      for (const [key, value] of Object.entries((extra ?? {}) as Record<string, unknown>)) {
        out[key] = key in out ? merge(out[key], value) : value;
      }
      return out;
    };
    const withFile = configSchema.parse(merge(fromFile, required));
    const withoutFile = configSchema.parse(required);
    assert.deepEqual(withFile, withoutFile);
  });
});
