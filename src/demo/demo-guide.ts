// What `npm run demo` prints: sections of ready-to-paste commands, and every id the simulator
// was seeded with. Each section is data, so a new one is one entry in demoGuide().

import { DEMO_PROJECTS, DEMO_RESOURCES } from '../simulator/index.ts';

export interface DemoFacts {
  /** The gateway's base URL, e.g. http://127.0.0.1:8080. */
  readonly base: string;
  readonly simulatorUrl: string;
  readonly jwksFile: string;
  readonly token: string;
  /** A caller without the mass-revocation permission. */
  readonly rotatorToken: string;
  /** `VAR=… VAR=…`: the environment under which the audit CLIs read the demo's trail. */
  readonly verifyEnv: string;
  readonly checkpointsFile: string;
  readonly publicKeyFile: string;
  /** Where the printed report command writes its HTML file. */
  readonly reportFile: string;
}

export interface GuideSection {
  /** One or more lines of explanation, ending with a colon. */
  readonly text: string;
  readonly commands: readonly string[];
}

/** The project aliases of the demo configuration (config/demo.yaml), by project id. */
export const DEMO_ALIASES: Readonly<Record<string, string>> = Object.fromEntries(
  DEMO_PROJECTS.map((project, index) => [project.id, index === 0 ? 'default' : 'eu']),
);

/**
 * A curl command as a shell takes it: the URL in single quotes (a `?` or `&` is never the
 * shell's), and `-w '\n'` so that the JSON answer ends with a newline before the next prompt.
 */
export function curlCommand(url: string, options: { method?: string; auth?: string } = {}): string {
  const method = options.method === undefined ? '' : ` -X ${options.method}`;
  const auth = options.auth === undefined ? '' : ` -H "Authorization: Bearer ${options.auth}"`;
  return `curl -s -w '\\n'${method}${auth} '${url}'`;
}

export function demoGuide(facts: DemoFacts): GuideSection[] {
  const { base } = facts;
  const [kms] = DEMO_RESOURCES.kmsGrants;
  const euKms = DEMO_RESOURCES.kmsGrants.find((grant) => DEMO_ALIASES[grant.projectId] === 'eu');
  const [csr] = DEMO_RESOURCES.csrs;
  const revoke = (path: string, auth = '$TOKEN') =>
    curlCommand(`${base}${path}`, { method: 'DELETE', auth });
  return [
    {
      text: 'Revoke a seeded KMS grant (200, then 404 NOT_FOUND the second time):',
      commands: [revoke(`/v1/kms/keys/${kms.keyId}/grants/${kms.grantId}`)],
    },
    {
      text: 'The same in the second project, aliased eu (?project=<alias>):',
      commands: euKms
        ? [revoke(`/v1/kms/keys/${euKms.keyId}/grants/${euKms.grantId}?project=eu`)]
        : [],
    },
    {
      text: 'A caller without the permission (403 FORBIDDEN), and no token at all (401):',
      commands: [
        revoke('/v1/modelarts/authorizations?allUsers=true', facts.rotatorToken),
        curlCommand(`${base}/v1/scm/csrs/${csr.csrId}`, { method: 'DELETE' }),
      ],
    },
    {
      text: 'Read the audit trail, and verify its hash chain:',
      commands: [
        curlCommand(`${base}/v1/audit`, { auth: '$TOKEN' }),
        `${facts.verifyEnv} npm run audit:verify`,
      ],
    },
    {
      text: [
        'Signed checkpoints are written every 60 s (when there is something new), every 1,000 records',
        'and at shutdown; once one exists, hold the chain against it too:',
      ].join('\n'),
      commands: [
        `${facts.verifyEnv} npm run audit:verify -- --checkpoints ${facts.checkpointsFile} --public-key ${facts.publicKeyFile}`,
      ],
    },
    {
      text: 'A report of what you just did, to open in a browser (one HTML file; it loads nothing):',
      commands: [`${facts.verifyEnv} npm run audit:report -- --out ${facts.reportFile}`],
    },
  ];
}

/** Every seeded id, by route and project alias: what else can be revoked. */
export function seededIds(): string[] {
  const at = (projectId: string) => `?project=${DEMO_ALIASES[projectId] ?? projectId}`;
  const r = DEMO_RESOURCES;
  const list = (title: string, ids: readonly string[]) =>
    `${title}\n${ids.map((id) => `    ${id}`).join('\n')}`;
  return [
    list(
      '  SCM certificates (privacy):   /v1/scm/certificates/{certId}/privacy',
      r.scmPrivacy.map((x) => `${x.certId} ${at(x.projectId)}`),
    ),
    list(
      '  SCM CSRs:                     /v1/scm/csrs/{csrId}',
      r.csrs.map((x) => x.csrId),
    ),
    list(
      '  APIG certificates:            /v1/apig/certificates/{certificateId}',
      r.apigCertificates.map(
        (x) =>
          `${x.certificateId} ${at(x.projectId)}${'bound' in x ? '  (bound to a domain: 409 CONFLICT)' : ''}`,
      ),
    ),
    list(
      '  KMS grants:                   /v1/kms/keys/{keyId}/grants/{grantId}',
      r.kmsGrants.map((x) => `${x.keyId} ${x.grantId} ${at(x.projectId)}`),
    ),
    list(
      '  ModelArts authorizations:     /v1/modelarts/authorizations/{userId}',
      r.modelartsAuthorizations.map((x) => `${x.userId} ${at(x.projectId)}`),
    ),
  ];
}

/** The whole text the demo prints once it is ready. */
export function renderDemoGuide(facts: DemoFacts, sections = demoGuide(facts)): string {
  const blocks = sections
    .filter((section) => section.commands.length > 0)
    .map(
      (section) =>
        `${section.text}\n\n${section.commands.map((command) => `  ${command}`).join('\n')}`,
    );
  return [
    `Rescind demo: the gateway on ${facts.base}, the cloud simulator on ${facts.simulatorUrl}.`,
    `Callers authenticate with JWTs signed by a key generated for this run (JWKS: ${facts.jwksFile}).`,
    '',
    `  export TOKEN='${facts.token}'`,
    '',
    blocks.join('\n\n'),
    '',
    'Seeded in the simulator (?project=default is the default; each id revokes once):',
    '',
    seededIds().join('\n'),
    '',
    `More: ${facts.base}/openapi.json, ${facts.base}/metrics, ${facts.base}/readyz. Ctrl-C drains and stops.`,
    '',
  ].join('\n');
}
