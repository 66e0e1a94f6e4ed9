// Static checks of the deployment files, needing neither Docker nor a cluster (part of
// scripts/container-check.sh; run alone with `node_modules/.bin/node scripts/container/check-manifests.ts`):
//
// - docker-compose.yml and every YAML file under deploy/ parse;
// - the gateway configurations they describe load as the gateway would load them: compose's
//   gateway environment with deploy/compose/rescind.yaml and the secret files, and each
//   Kubernetes rescind container's environment with the ConfigMap and the example Secret;
// - shutdown fits: terminationGracePeriodSeconds and stop_grace_period exceed the gateway's
//   server.shutdownGraceSeconds;
// - the Kubernetes pods run the sidecar non-root on loopback with probes, limits and a
//   read-only root, and the PodDisruptionBudget selects the Deployment's pods;
// - replicas share what must be shared: one PostgreSQL audit store and one Redis for limits.
//
// Prints one `PASS  …` or `FAIL  …` line per check; exits 1 when any failed.

import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigError } from '../../src/config/config-error.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/schema.ts';

type Tree = Record<string, unknown>;

const REPO = new URL('../../', import.meta.url).pathname;
const COMPOSE_SECRET_DIR = '/run/secrets/';
const K8S_SECRET_DIR = '/var/run/secrets/rescind/';
let failures = 0;

function report(ok: boolean, name: string, detail = ''): void {
  if (!ok) failures += 1;
  console.log(`${ok ? 'PASS' : 'FAIL'}  manifests: ${name}${detail === '' ? '' : ` (${detail})`}`);
}

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function at(value: unknown, ...path: (string | number)[]): unknown {
  let node = value;
  for (const key of path) {
    if (Array.isArray(node) && typeof key === 'number') node = node[key];
    else if (isTree(node) && typeof key === 'string') node = node[key];
    else return undefined;
  }
  return node;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Every document of a YAML file, or undefined (and a FAIL) when it does not parse. */
function readYaml(file: string): unknown[] | undefined {
  const name = relative(REPO, file);
  const documents = parseAllDocuments(readFileSync(file, 'utf8'));
  const errors = documents.flatMap((document) => document.errors);
  report(errors.length === 0, `${name} is valid YAML`, errors[0]?.message.split('\n')[0] ?? '');
  return errors.length === 0 ? documents.map((document) => document.toJS() as unknown) : undefined;
}

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** loadConfig with the given variables; the Config, or undefined with the problems reported. */
function tryLoad(name: string, env: Record<string, string>): Config | undefined {
  try {
    const config = loadConfig(env);
    report(true, name);
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    report(false, name, error.message.replace(/\s+/g, ' '));
    return undefined;
  }
}

/** `${NAME:-default}` and `${NAME-default}` become the default: the file as shipped. */
function interpolateDefaults(value: string): string {
  return value.replace(/\$\{[A-Z_]+:?-([^}]*)\}/g, '$1');
}

function seconds(duration: unknown): number | undefined {
  const match = /^(\d+)s$/.exec(text(duration) ?? '');
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function checkCompose(scratch: string): void {
  const [compose] = readYaml(join(REPO, 'docker-compose.yml')) ?? [];
  if (compose === undefined) return;
  const services = at(compose, 'services');
  const names = isTree(services) ? Object.keys(services) : [];
  const wanted = ['gateway', 'simulator', 'sso', 'postgres', 'redis'];
  report(
    wanted.every((service) => names.includes(service)),
    'compose starts gateway, simulator, sso, postgres and redis',
    names.join(', '),
  );

  const environment = at(services, 'gateway', 'environment');
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(isTree(environment) ? environment : {})) {
    env[key] = interpolateDefaults(String(value));
  }
  // The paths as the gateway container sees them, mapped back to the repository.
  for (const [key, value] of Object.entries(env)) {
    if (key.endsWith('_FILE') && value.startsWith(COMPOSE_SECRET_DIR)) {
      const secret = value.slice(COMPOSE_SECRET_DIR.length);
      const file = text(at(compose, 'secrets', secret, 'file'));
      env[key] = file === undefined ? join(scratch, 'missing', secret) : join(REPO, file);
    }
  }
  const mounts = list(at(services, 'gateway', 'volumes')).map(String);
  const configMount = mounts.find((mount) => mount.split(':')[1] === env.RESCIND_CONFIG);
  if (configMount !== undefined) env.RESCIND_CONFIG = join(REPO, configMount.split(':')[0] ?? '');
  const config = tryLoad('the compose gateway configuration loads', env);
  if (config === undefined) return;

  checkComposeRoles(compose, services, config);
  const grace = seconds(at(services, 'gateway', 'stop_grace_period'));
  report(
    grace !== undefined && grace > config.server.shutdownGraceSeconds,
    'compose stop_grace_period exceeds server.shutdownGraceSeconds',
    `${grace ?? '?'} s > ${config.server.shutdownGraceSeconds} s`,
  );
}

/**
 * Two database roles: the gateway connects as one that may insert and read audit records, the
 * one-shot `migrate` service as the schema's owner, whose URL the gateway never sees.
 */
function checkComposeRoles(compose: unknown, services: unknown, config: Config): void {
  const secret = (name: string) =>
    readFileSync(
      join(REPO, text(at(compose, 'secrets', name, 'file')) ?? 'missing'),
      'utf8',
    ).trim();
  const gatewayUrl = new URL(config.audit.postgresUrl ?? 'postgres://missing@postgres/');
  report(
    decodeURIComponent(gatewayUrl.password) === secret('postgres-gateway-password'),
    "the compose gateway connects with the gateway role's password",
    gatewayUrl.username,
  );
  const migrationFile = text(
    at(services, 'migrate', 'environment', 'RESCIND_AUDIT_POSTGRES_MIGRATION_URL_FILE'),
  );
  const ownerUrl = new URL(
    migrationFile === undefined
      ? 'postgres://missing@postgres/'
      : secret(migrationFile.slice(COMPOSE_SECRET_DIR.length)),
  );
  report(
    ownerUrl.username === text(at(services, 'postgres', 'environment', 'POSTGRES_USER')) &&
      decodeURIComponent(ownerUrl.password) === secret('postgres-password') &&
      ownerUrl.username !== gatewayUrl.username,
    'compose migrates as the owner, another role than the gateway',
    `${ownerUrl.username} / ${gatewayUrl.username}`,
  );
  const command = list(at(services, 'migrate', 'command')).map(String);
  report(
    command.includes('dist/audit-migrate.js') &&
      command[command.indexOf('--grant') + 1] === gatewayUrl.username,
    "compose's migrate grants the gateway role",
    command.join(' '),
  );
  const gatewaySecrets = list(at(services, 'gateway', 'secrets')).map(String);
  report(
    !gatewaySecrets.some((name) => name.includes('migration') || name === 'postgres-password') &&
      at(services, 'gateway', 'depends_on', 'migrate', 'condition') ===
        'service_completed_successfully',
    "the compose gateway waits for migrate and holds none of the owner's secrets",
  );
}

interface KubernetesObjects {
  readonly configYaml?: string;
  readonly secretData: Record<string, string>;
  readonly workloads: {
    file: string;
    kind: string;
    replicas: unknown;
    spec: unknown;
    labels: unknown;
  }[];
  readonly budgets: { file: string; selector: unknown }[];
  readonly jobs: { file: string; spec: unknown }[];
}

function collectKubernetes(): KubernetesObjects {
  let configYaml: string | undefined;
  const secretData: Record<string, string> = {};
  const workloads: KubernetesObjects['workloads'] = [];
  const budgets: KubernetesObjects['budgets'] = [];
  const jobs: KubernetesObjects['jobs'] = [];
  for (const file of yamlFilesUnder(join(REPO, 'deploy/kubernetes'))) {
    for (const object of readYaml(file) ?? []) {
      const kind = text(at(object, 'kind'));
      if (kind === 'ConfigMap') configYaml = text(at(object, 'data', 'rescind.yaml'));
      if (kind === 'Secret') {
        const data = at(object, 'stringData');
        for (const [key, value] of Object.entries(isTree(data) ? data : {})) {
          secretData[key] = String(value);
        }
      }
      if (kind === 'Deployment' || kind === 'StatefulSet') {
        workloads.push({
          file: relative(REPO, file),
          kind,
          replicas: at(object, 'spec', 'replicas'),
          spec: at(object, 'spec', 'template', 'spec'),
          labels: at(object, 'spec', 'template', 'metadata', 'labels'),
        });
      }
      if (kind === 'Job') {
        jobs.push({ file: relative(REPO, file), spec: at(object, 'spec', 'template', 'spec') });
      }
      if (kind === 'PodDisruptionBudget') {
        budgets.push({ file: relative(REPO, file), selector: at(object, 'spec', 'selector') });
      }
    }
  }
  return {
    ...(configYaml === undefined ? {} : { configYaml }),
    secretData,
    workloads,
    budgets,
    jobs,
  };
}

function checkKubernetes(scratch: string): void {
  const objects = collectKubernetes();
  report(objects.configYaml !== undefined, 'a ConfigMap holds rescind.yaml');
  const configFile = join(scratch, 'rescind.yaml');
  writeFileSync(configFile, objects.configYaml ?? '');
  for (const [key, value] of Object.entries(objects.secretData)) {
    writeFileSync(join(scratch, key), `${value}\n`);
  }

  for (const workload of objects.workloads) {
    const name = `${workload.file} ${workload.kind}`;
    const sidecar = list(at(workload.spec, 'initContainers')).find(
      (container) => text(at(container, 'name')) === 'rescind',
    );
    report(at(sidecar, 'restartPolicy') === 'Always', `${name}: rescind is a native sidecar`);
    const env: Record<string, string> = {};
    for (const entry of list(at(sidecar, 'env'))) {
      const key = text(at(entry, 'name'));
      const value = text(at(entry, 'value'));
      if (key !== undefined && value !== undefined) env[key] = value;
    }
    const mounts = list(at(sidecar, 'volumeMounts'));
    const secretMounted = mounts.some(
      (mount) => at(mount, 'mountPath') === K8S_SECRET_DIR.slice(0, -1),
    );
    for (const [key, value] of Object.entries(env)) {
      if (key.endsWith('_FILE') && value.startsWith(K8S_SECRET_DIR) && secretMounted) {
        env[key] = join(scratch, value.slice(K8S_SECRET_DIR.length));
      }
    }
    if (env.RESCIND_CONFIG !== undefined) env.RESCIND_CONFIG = configFile;
    const config = tryLoad(`${name}: the sidecar configuration loads`, env);

    report(env.RESCIND_HOST === '127.0.0.1', `${name}: the sidecar listens on loopback only`);
    if (typeof workload.replicas === 'number' && workload.replicas > 1) {
      report(
        config?.audit.store === 'postgres' && config.rateLimit.redisUrl !== undefined,
        `${name}: its ${workload.replicas} replicas share a PostgreSQL audit store and Redis rate limits`,
        `audit.store ${config?.audit.store ?? '?'}, Redis ${config?.rateLimit.redisUrl === undefined ? 'not set' : 'set'}`,
      );
    }
    const grace = at(workload.spec, 'terminationGracePeriodSeconds');
    const shutdown = config?.server.shutdownGraceSeconds;
    report(
      typeof grace === 'number' && shutdown !== undefined && grace > shutdown,
      `${name}: terminationGracePeriodSeconds exceeds server.shutdownGraceSeconds`,
      `${String(grace)} s > ${String(shutdown)} s`,
    );
    const probe = (kind: string) => list(at(sidecar, kind, 'exec', 'command')).join(' ');
    report(
      probe('livenessProbe').endsWith('/healthz') && probe('readinessProbe').endsWith('/readyz'),
      `${name}: liveness probes /healthz, readiness probes /readyz`,
    );
    const memory = text(at(sidecar, 'resources', 'limits', 'memory'));
    const mebibytes = /^(\d+)Mi$/.exec(memory ?? '')?.[1];
    report(
      mebibytes !== undefined && Number(mebibytes) >= 200,
      `${name}: memory limit (at least 200 Mi) leaves room above the gateway's measured peak`,
      memory ?? 'none',
    );
    report(
      at(workload.spec, 'securityContext', 'runAsNonRoot') === true &&
        at(sidecar, 'securityContext', 'readOnlyRootFilesystem') === true &&
        at(sidecar, 'securityContext', 'allowPrivilegeEscalation') === false,
      `${name}: non-root, read-only root filesystem, no privilege escalation`,
    );
  }

  checkKubernetesRoles(objects);
  const deployment = objects.workloads.find((workload) => workload.kind === 'Deployment');
  for (const budget of objects.budgets) {
    const wanted = at(budget.selector, 'matchLabels');
    const labels = deployment?.labels;
    report(
      isTree(wanted) &&
        isTree(labels) &&
        Object.entries(wanted).every(([key, value]) => labels[key] === value),
      `${budget.file}: the PodDisruptionBudget selects the Deployment's pods`,
    );
  }
}

/** A Job migrates as the owner and grants the gateways' role; no gateway pod sees the owner. */
function checkKubernetesRoles(objects: KubernetesObjects): void {
  const userOf = (url: string | undefined) => {
    try {
      return new URL(url ?? '').username;
    } catch {
      return '';
    }
  };
  const gatewayUser = userOf(objects.secretData['audit-postgres-url']);
  const ownerUser = userOf(objects.secretData['audit-postgres-migration-url']);
  const migrations = objects.jobs.filter((job) =>
    list(at(job.spec, 'containers')).some((container) =>
      list(at(container, 'command')).map(String).includes('dist/audit-migrate.js'),
    ),
  );
  const command = list(at(migrations[0]?.spec, 'containers', 0, 'command')).map(String);
  report(
    migrations.length === 1 &&
      gatewayUser !== '' &&
      command[command.indexOf('--grant') + 1] === gatewayUser &&
      ownerUser !== '' &&
      ownerUser !== gatewayUser,
    "a Job migrates the audit schema as its owner and grants the gateways' role",
    `${ownerUser || '?'} grants ${gatewayUser || '?'}`,
  );
  const ownerSecret = (spec: unknown) =>
    list(at(spec, 'volumes')).some(
      (volume) => at(volume, 'secret', 'secretName') === 'rescind-audit-owner',
    );
  report(
    migrations.every((job) => ownerSecret(job.spec)) &&
      !objects.workloads.some((workload) => ownerSecret(workload.spec)),
    "only the migration Job mounts the owner's secret, no gateway pod",
  );
}

const scratch = mkdtempSync(join(tmpdir(), 'rescind-manifests-'));
try {
  readYaml(join(REPO, 'deploy/compose/rescind.yaml'));
  checkCompose(scratch);
  checkKubernetes(scratch);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(failures === 0 ? 0 : 1);
