// How the gateway proves itself to the cloud (docs/credentials.md): `cloud.credentials`, and the
// check that each mode has exactly the settings it needs. The key names and the variables that
// set them are in env-table.ts; a missing one is reported with its variable.

import { z } from 'zod';

export const CREDENTIAL_MODES = ['password', 'oidc', 'access-key', 'metadata'] as const;
export type CredentialMode = (typeof CREDENTIAL_MODES)[number];

/** The ECS/CCE metadata service, link-local on every node. */
export const DEFAULT_METADATA_URL = 'http://169.254.169.254';
/** The metadata service answers in milliseconds; a node without one should fail fast. */
export const DEFAULT_METADATA_TIMEOUT_MS = 2_000;

const nonEmpty = z.string().trim().min(1);

export const credentialsSchema = z
  .strictObject({
    mode: z.enum(CREDENTIAL_MODES).default('password'),
    /** oidc: the IAM identity provider that trusts the cluster's OIDC issuer. */
    idpId: nonEmpty.optional(),
    /** oidc: the projected service-account token, read again for every exchange. */
    oidcTokenFile: nonEmpty.optional(),
    /** access-key: the permanent AK and SK. */
    accessKey: nonEmpty.optional(),
    secretKey: nonEmpty.optional(),
    metadataUrl: z
      .string()
      .trim()
      .regex(/^https?:\/\/[^\s/]+/, 'must be an http(s) URL')
      .transform((url) => url.replace(/\/+$/, ''))
      .default(DEFAULT_METADATA_URL),
    metadataTimeoutMs: z.number().int().min(1).max(60_000).default(DEFAULT_METADATA_TIMEOUT_MS),
    /** The account (domain) id: X-Domain-Id of global calls when signing, oidc's domain scope. */
    domainId: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a Huawei Cloud account (domain) id')
      .optional(),
  })
  .prefault({});

type CredentialsInput = z.output<typeof credentialsSchema>;

interface CloudSettings {
  readonly credentials: CredentialsInput;
  readonly iam: {
    readonly domain?: string | undefined;
    readonly user?: string | undefined;
    readonly password?: string | undefined;
    readonly agency?: string | undefined;
  };
}

/** What each mode needs, as [key path under `cloud`, present]. */
function requiredSettings(cloud: CloudSettings): readonly [readonly string[], boolean, string?][] {
  const { credentials: c, iam } = cloud;
  switch (c.mode) {
    case 'password':
      return [
        [['iam', 'domain'], iam.domain !== undefined],
        [['iam', 'user'], iam.user !== undefined],
        [['iam', 'password'], iam.password !== undefined],
      ];
    case 'oidc':
      return [
        [['credentials', 'idpId'], c.idpId !== undefined],
        [['credentials', 'oidcTokenFile'], c.oidcTokenFile !== undefined],
        // The domain scope of SCM's global API names the account by id or by name.
        [
          ['credentials', 'domainId'],
          c.domainId !== undefined || iam.domain !== undefined,
          'or RESCIND_IAM_DOMAIN (the account name)',
        ],
      ];
    case 'access-key':
      return [
        [['credentials', 'accessKey'], c.accessKey !== undefined],
        [['credentials', 'secretKey'], c.secretKey !== undefined],
        [['credentials', 'domainId'], c.domainId !== undefined],
      ];
    case 'metadata':
      return [[['credentials', 'domainId'], c.domainId !== undefined]];
  }
}

/**
 * Adds an issue for every setting the chosen mode needs and lacks (zod superRefine); `at` is the
 * path of the `cloud` section.
 */
export function checkCredentialSettings(
  cloud: CloudSettings,
  ctx: z.RefinementCtx,
  at: readonly string[],
): void {
  const mode = cloud.credentials.mode;
  for (const [path, present, alternative] of requiredSettings(cloud)) {
    if (present) continue;
    const message = `is required in ${mode} mode${alternative === undefined ? '' : ` (${alternative})`}`;
    ctx.addIssue({ code: 'custom', path: [...at, ...path], message });
  }
  if (mode !== 'password' && cloud.iam.agency !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: [...at, 'iam', 'agency'],
      message: `is used in password mode only; in ${mode} mode grant the permissions to the identity itself`,
    });
  }
}

/**
 * Whether the configuration parsed far enough for checkCredentialSettings, even when other keys
 * have problems of their own: every problem is listed at once, not one round at a time.
 */
export function canCheckCredentials(config: unknown): boolean {
  const cloud = (config as { cloud?: { credentials?: { mode?: unknown }; iam?: unknown } } | null)
    ?.cloud;
  const mode = cloud?.credentials?.mode;
  return (
    typeof cloud?.iam === 'object' &&
    cloud.iam !== null &&
    CREDENTIAL_MODES.some((candidate) => candidate === mode)
  );
}
