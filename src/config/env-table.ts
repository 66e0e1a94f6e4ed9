// The closed set of environment variables (docs/api.md "Configuration"). Each names one key of the schema; the
// loader applies them over the file, the config error messages name them, and docs/api.md's
// configuration table is generated from (and tested against) this table.

import { SERVICES, type ServiceName } from '../operations/catalog.ts';

export type EnvKind = 'string' | 'integer' | 'list';

export interface EnvVariable {
  readonly name: string;
  /** Path of the key it sets, e.g. ['cloud', 'iam', 'password']. */
  readonly key: readonly string[];
  readonly kind: EnvKind;
  /** Secrets may also come from the file named by `<name>_FILE`, and are never logged. */
  readonly secret: boolean;
  readonly description: string;
}

const v = (
  name: string,
  key: string,
  description: string,
  options: { kind?: EnvKind; secret?: boolean } = {},
): EnvVariable => ({
  name,
  key: key.split('.'),
  kind: options.kind ?? 'string',
  secret: options.secret ?? false,
  description,
});

const SERVICE_TITLES = {
  scm: 'SCM',
  apig: 'APIG',
  kms: 'KMS',
  modelarts: 'ModelArts',
} as const satisfies Record<ServiceName, string>;

/** `RESCIND_<SERVICE>_ENDPOINT`: one service's base URL for every project. */
const endpointVariable = (service: ServiceName): EnvVariable =>
  v(
    `RESCIND_${service.toUpperCase()}_ENDPOINT`,
    `cloud.endpoints.${service}`,
    `${SERVICE_TITLES[service]} base URL for every project (default: the region table; \`{region}\` is substituted)`,
  );

export const ENV_VARIABLES: readonly EnvVariable[] = [
  v('RESCIND_HOST', 'server.host', 'listen address (default `127.0.0.1`)'),
  v('RESCIND_PORT', 'server.port', 'listen port (default `8080`; `0` = any free port, logged)', {
    kind: 'integer',
  }),
  v(
    'RESCIND_IAM_ENDPOINT',
    'cloud.iam.endpoint',
    'IAM base URL (default `https://iam.myhuaweicloud.com`; see docs/upstream.md for regions)',
  ),
  v('RESCIND_IAM_DOMAIN', 'cloud.iam.domain', 'account (domain) name of the service account'),
  v('RESCIND_IAM_USER', 'cloud.iam.user', 'IAM user name of the service account'),
  v('RESCIND_IAM_PASSWORD', 'cloud.iam.password', 'password of the service account', {
    secret: true,
  }),
  v('RESCIND_IAM_AGENCY', 'cloud.iam.agency', 'agency name for `assume_role` (optional)'),
  v(
    'RESCIND_IAM_AGENCY_DOMAIN',
    'cloud.iam.agencyDomain',
    'account (domain) that owns the agency (required with an agency)',
  ),
  v(
    'RESCIND_CREDENTIALS',
    'cloud.credentials.mode',
    'how the gateway proves itself to the cloud: `password` (default), `oidc`, `access-key`, `metadata` (docs/credentials.md)',
  ),
  v('RESCIND_IAM_IDP_ID', 'cloud.credentials.idpId', '`oidc`: the IAM identity provider id'),
  v(
    'RESCIND_OIDC_TOKEN_FILE',
    'cloud.credentials.oidcTokenFile',
    '`oidc`: the ID-token file the platform rotates (read for every exchange)',
  ),
  v('RESCIND_ACCESS_KEY', 'cloud.credentials.accessKey', '`access-key`: the access key id (AK)'),
  v('RESCIND_SECRET_KEY', 'cloud.credentials.secretKey', '`access-key`: the secret key (SK)', {
    secret: true,
  }),
  v(
    'RESCIND_METADATA_URL',
    'cloud.credentials.metadataUrl',
    '`metadata`: the metadata service (default `http://169.254.169.254`)',
  ),
  v(
    'RESCIND_DOMAIN_ID',
    'cloud.credentials.domainId',
    'account (domain) id: `X-Domain-Id` of global calls when signing; the domain scope in `oidc`',
  ),
  v('RESCIND_REGION', 'cloud.region', 'region of the `default` project (default `cn-north-4`)'),
  v('RESCIND_PROJECT_ID', 'cloud.projects.default.id', 'project id of the `default` project'),
  ...SERVICES.map(endpointVariable),
  v(
    'RESCIND_SCM_REGION',
    'cloud.scmRegion',
    "region whose SCM endpoint serves SCM, a global service (default: the project's region)",
  ),
  v('RESCIND_IDENTITY_MODE', 'identity.mode', '`jwt` (default) or `trusted-headers`'),
  v('RESCIND_JWT_ISSUER', 'identity.jwt.issuer', 'required `iss` of caller JWTs'),
  v('RESCIND_JWT_AUDIENCE', 'identity.jwt.audience', 'required `aud` of caller JWTs'),
  v('RESCIND_JWKS_URL', 'identity.jwt.jwksUrl', 'JWKS URL of the SSO (or use the file)'),
  v('RESCIND_JWKS_FILE', 'identity.jwt.jwksFile', 'JWKS file of the SSO (or use the URL)'),
  v(
    'RESCIND_JWT_GROUPS_CLAIM',
    'identity.jwt.groupsClaim',
    "claim holding the caller's groups (default `groups`)",
  ),
  v(
    'RESCIND_TRUSTED_PROXIES',
    'identity.trustedProxies',
    'comma-separated CIDRs whose `X-Forwarded-*` headers are believed',
    { kind: 'list' },
  ),
  v('RESCIND_AUDIT_STORE', 'audit.store', '`sqlite` (default) or `postgres`'),
  v(
    'RESCIND_AUDIT_SQLITE_PATH',
    'audit.sqlitePath',
    'SQLite audit file (default `./data/audit.db`)',
  ),
  v('RESCIND_AUDIT_POSTGRES_URL', 'audit.postgresUrl', 'PostgreSQL connection URL', {
    secret: true,
  }),
  v(
    'RESCIND_AUDIT_POSTGRES_MIGRATION_URL',
    'audit.postgresMigrationUrl',
    "PostgreSQL URL of the schema's owner role, for `npm run audit:migrate` only (not the gateway)",
    { secret: true },
  ),
  v(
    'RESCIND_AUDIT_CHECKPOINT_KEY',
    'audit.checkpoints.signingKey',
    'Ed25519 private key (PKCS#8 PEM) that signs audit checkpoints',
    { secret: true },
  ),
  v(
    'RESCIND_AUDIT_CHECKPOINT_PUBLIC_KEY',
    'audit.checkpoints.publicKey',
    'Ed25519 public key (SPKI PEM) `audit:verify` checks checkpoint signatures with where the private key is not configured',
    { secret: true },
  ),
  v(
    'RESCIND_INSTANCE_ID',
    'audit.instanceId',
    "names this instance's audit chain (default: the host name)",
  ),
  v('RESCIND_RATE_LIMIT_REDIS_URL', 'rateLimit.redisUrl', 'Redis URL for shared rate limits', {
    secret: true,
  }),
  v('RESCIND_LOG_LEVEL', 'log.level', 'log level (default `info`)'),
];

/** Names the file used instead of config/default.yaml; not a key of the schema. */
export const CONFIG_FILE_VARIABLE = 'RESCIND_CONFIG';

export function envVariableForKey(key: readonly string[]): EnvVariable | undefined {
  const joined = key.join('.');
  return ENV_VARIABLES.find((variable) => variable.key.join('.') === joined);
}
