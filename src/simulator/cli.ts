// `npm run simulator`: the cloud simulator as a process, seeded with the demo world, printing
// where it listens and the settings a gateway needs to use it. Stops on SIGINT/SIGTERM.
//
//   npm run simulator -- [--host 127.0.0.1] [--port 8081] [--seed demo|none]
//                             [--token-lifetime <seconds>] [--auto-reseed]
//   Environment: SIM_HOST, SIM_PORT (flags win).
import { parseArgs } from 'node:util';
import { DEMO_ACCOUNT, DEMO_AGENCY, DEMO_PROJECTS, DEMO_RESOURCES } from './demo-seed.ts';
import { FAULT_KIND_HELP } from './faults.ts';
import { DEMO_ACCESS_KEY } from './sim-credentials.ts';
import { SimulatorOptionsError } from './resolve-simulator-options.ts';
import { startSimulator } from './start-simulator.ts';
import type { SimulatorOptions } from './simulator-types.ts';

const DEFAULT_CLI_PORT = 8081;

const USAGE = `usage: npm run simulator -- [--host H] [--port P] [--seed demo|none] [--token-lifetime S] [--auto-reseed]`;

/** The usage line and every fault kind, as `--help` prints them. */
function helpText(): string {
  const width = Math.max(...Object.keys(FAULT_KIND_HELP).map((kind) => kind.length));
  return [
    USAGE,
    '',
    'Faults: POST /__sim/faults {"service":"iam|scm|apig|kms|modelarts","kind":…,"count"?,',
    '"method"?,"pathIncludes"?,"takesEffect"?} makes the next matching calls answer with:',
    ...Object.entries(FAULT_KIND_HELP).map(([kind, help]) => `  ${kind.padEnd(width)}  ${help}`),
  ].join('\n');
}

function fail(message: string): never {
  console.error(`simulator: ${message}`);
  console.error(USAGE);
  process.exit(2);
}

function parseNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) fail(`${name} must be a number, got "${value}"`);
  return n;
}

let args;
try {
  args = parseArgs({
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      seed: { type: 'string' },
      'token-lifetime': { type: 'string' },
      'auto-reseed': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values;
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
if (args.help === true) {
  console.log(helpText());
  process.exit(0);
}

const seed = args.seed ?? 'demo';
if (seed !== 'demo' && seed !== 'none') fail(`--seed must be demo or none, got "${seed}"`);
const tokenLifetimeSeconds = parseNumber('--token-lifetime', args['token-lifetime']);
const options: SimulatorOptions = {
  host: args.host ?? process.env.SIM_HOST ?? '127.0.0.1',
  port: parseNumber('--port', args.port ?? process.env.SIM_PORT) ?? DEFAULT_CLI_PORT,
  seed,
  autoReseed: args['auto-reseed'] === true,
  ...(tokenLifetimeSeconds === undefined ? {} : { tokenLifetimeSeconds }),
};

let simulator;
try {
  simulator = await startSimulator(options);
} catch (error) {
  if (error instanceof SimulatorOptionsError) fail(error.problems.join('; '));
  console.error(
    `simulator: cannot start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
}

const url = simulator.url;
const [project] = DEMO_PROJECTS;
const lines = [
  `Huawei Cloud simulator listening on ${url}`,
  `  IAM and every service answer on this one URL; control API: ${url}/__sim/stats`,
  '',
  'Gateway settings (the demo service account, password method):',
  `  RESCIND_IAM_ENDPOINT=${url}`,
  `  RESCIND_SCM_ENDPOINT=${url}`,
  `  RESCIND_APIG_ENDPOINT=${url}`,
  `  RESCIND_KMS_ENDPOINT=${url}`,
  `  RESCIND_MODELARTS_ENDPOINT=${url}`,
  `  RESCIND_IAM_DOMAIN=${DEMO_ACCOUNT.domain}`,
  `  RESCIND_IAM_USER=${DEMO_ACCOUNT.user}`,
  `  RESCIND_IAM_PASSWORD=${DEMO_ACCOUNT.password}`,
  `  RESCIND_REGION=${project?.name ?? ''}`,
  `  RESCIND_PROJECT_ID=${project?.id ?? ''}`,
  'Optional agency (assume_role):',
  `  RESCIND_IAM_AGENCY=${DEMO_AGENCY.name}`,
  `  RESCIND_IAM_AGENCY_DOMAIN=${DEMO_AGENCY.domain}`,
  'Or signed calls (docs/credentials.md), with the demo access key or the metadata service:',
  `  RESCIND_CREDENTIALS=access-key RESCIND_ACCESS_KEY=${DEMO_ACCESS_KEY.access} RESCIND_SECRET_KEY=${DEMO_ACCESS_KEY.secret}`,
  `  RESCIND_CREDENTIALS=metadata RESCIND_METADATA_URL=${url}`,
  `  RESCIND_DOMAIN_ID=${DEMO_ACCOUNT.domainId}`,
  `Projects: ${DEMO_PROJECTS.map((p) => `${p.name}=${p.id}`).join(', ')}`,
];
if (seed === 'demo') {
  const inProject = <T extends { projectId: string }>(items: readonly T[]): T[] =>
    items.filter((item) => item.projectId === project?.id);
  lines.push(
    '',
    `Seeded resources in ${project?.name ?? ''} (each revocable once${options.autoReseed === true ? '; auto-reseed is on' : ''}):`,
    `  SCM certificates:     ${inProject(DEMO_RESOURCES.scmPrivacy)
      .map((r) => r.certId)
      .join(' ')}`,
    `  SCM CSRs (global):    ${DEMO_RESOURCES.csrs.map((r) => r.csrId).join(' ')}`,
    `  APIG certificates:    ${inProject(DEMO_RESOURCES.apigCertificates)
      .map((r) => ('bound' in r ? `${r.certificateId}(bound)` : r.certificateId))
      .join(' ')}`,
    `  KMS grants (key/grant):`,
    ...inProject(DEMO_RESOURCES.kmsGrants).map((r) => `    ${r.keyId} ${r.grantId}`),
    `  ModelArts users:      ${inProject(DEMO_RESOURCES.modelartsAuthorizations)
      .map((r) => r.userId)
      .join(' ')}`,
  );
}
lines.push('', 'Stop with Ctrl-C.');
console.log(lines.join('\n'));

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  console.log(`simulator: ${signal}, stopping`);
  simulator.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(
        `simulator: close failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      process.exit(1);
    },
  );
};
process.once('SIGINT', () => {
  stop('SIGINT');
});
process.once('SIGTERM', () => {
  stop('SIGTERM');
});
