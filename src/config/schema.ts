// One strict schema for the whole configuration (STYLE: "one strict schema, unknown keys are
// errors, numbers never silently NaN"). Every key has its default here, beside its definition;
// config/default.yaml mirrors these defaults for operators and a test keeps the two equal.

import { z } from 'zod';
import { PERMISSIONS, SERVICES } from '../operations/catalog.ts';
import { PROJECT_ALIAS } from '../operations/param-rules.ts';
import { isSigningKey, SIGNING_KEY_MESSAGE } from '../audit/chain/checkpoint-key.ts';
import { isValidCidr } from './cidr-syntax.ts';
import {
  canCheckCredentials,
  checkCredentialSettings,
  credentialsSchema,
} from './credentials-schema.ts';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;
export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024;
export const DEFAULT_SHUTDOWN_GRACE_SECONDS = 25;
/** Huawei's SDKs refresh a token when 40 minutes of its life remain. */
export const DEFAULT_TOKEN_REFRESH_MARGIN_SECONDS = 40 * 60;
/** A writer that showed no sign of life for this long may have its chain adopted (PostgreSQL). */
export const DEFAULT_CHAIN_LEASE_SECONDS = 30;
/** How often each instance renews its own lease and looks for chains to adopt. */
export const DEFAULT_ADOPTION_SCAN_SECONDS = 10;
export const DEFAULT_JWT_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
export const ASYMMETRIC_JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const nonEmpty = z.string().trim().min(1);
const httpUrl = z
  .string()
  .trim()
  .regex(/^https?:\/\/[^\s/]+/, 'must be an http(s) URL')
  .transform((url) => url.replace(/\/+$/, ''));
/** Service endpoints may contain `{region}`, filled from the project's region. */
const endpointTemplate = httpUrl;
/** `none` turns a service off for one project (docs/upstream.md "Endpoints"). */
const projectEndpoint = z.union([z.literal('none'), endpointTemplate]);
const permission = z
  .string()
  .refine(
    (value) =>
      value === '*' ||
      PERMISSIONS.includes(value) ||
      (value.endsWith('.*') && PERMISSIONS.some((name) => name.startsWith(value.slice(0, -1)))),
    { message: `must be an operation name, a "prefix.*" matching one, or "*"` },
  );

const projectSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a Huawei Cloud project id'),
  region: nonEmpty.optional(),
  /** Overrides of the region table for this project (docs/upstream.md "Endpoints"). */
  endpoints: z
    .strictObject({
      iam: httpUrl.optional(),
      scm: projectEndpoint.optional(),
      apig: projectEndpoint.optional(),
      kms: projectEndpoint.optional(),
      modelarts: projectEndpoint.optional(),
    })
    .optional(),
});

const configShape = z.strictObject({
  server: z
    .strictObject({
      host: nonEmpty.default(DEFAULT_HOST),
      port: int(0, 65535).default(DEFAULT_PORT),
      bodyLimitBytes: int(0, 1024 * 1024).default(DEFAULT_BODY_LIMIT_BYTES),
      shutdownGraceSeconds: int(0, 3600).default(DEFAULT_SHUTDOWN_GRACE_SECONDS),
    })
    .prefault({}),
  cloud: z.strictObject({
    iam: z
      .strictObject({
        endpoint: httpUrl.default('https://iam.myhuaweicloud.com'),
        // Required in password mode (domain also in oidc mode): credentials-schema.ts.
        domain: nonEmpty.optional(),
        user: nonEmpty.optional(),
        password: nonEmpty.optional(),
        agency: nonEmpty.optional(),
        agencyDomain: nonEmpty.optional(),
        tokenRefreshMarginSeconds: int(0, 86_400).default(DEFAULT_TOKEN_REFRESH_MARGIN_SECONDS),
        exchangeTimeoutMs: int(1, 120_000).default(5_000),
      })
      .prefault({})
      .refine((iam) => iam.agency === undefined || iam.agencyDomain !== undefined, {
        message: 'agencyDomain is required when agency is set',
        path: ['agencyDomain'],
      }),
    credentials: credentialsSchema,
    region: nonEmpty.default('cn-north-4'),
    projects: z
      .record(
        z.string().regex(PROJECT_ALIAS.pattern, `must be ${PROJECT_ALIAS.description}`),
        projectSchema,
      )
      .refine((projects) => 'default' in projects, {
        message: 'a project aliased "default" is required',
      }),
    /**
     * Service endpoints for every project, over the region table (docs/upstream.md
     * "Endpoints"); unset, each project's region picks its endpoint from the table.
     */
    endpoints: z
      .strictObject({
        scm: endpointTemplate.optional(),
        apig: endpointTemplate.optional(),
        kms: endpointTemplate.optional(),
        modelarts: endpointTemplate.optional(),
      } satisfies Record<(typeof SERVICES)[number], unknown>)
      .prefault({}),
    /** The region whose SCM endpoint serves SCM, a global service; unset: the project's. */
    scmRegion: nonEmpty.optional(),
  }),
  identity: z
    .strictObject({
      mode: z.enum(['jwt', 'trusted-headers']).default('jwt'),
      jwt: z
        .strictObject({
          issuer: nonEmpty.optional(),
          audience: nonEmpty.optional(),
          jwksUrl: httpUrl.optional(),
          jwksFile: nonEmpty.optional(),
          groupsClaim: nonEmpty.default('groups'),
          algorithms: z
            .array(z.enum(ASYMMETRIC_JWT_ALGORITHMS))
            .min(1)
            .default([...DEFAULT_JWT_ALGORITHMS]),
          clockToleranceSeconds: int(0, 300).default(30),
          /** At most one JWKS refetch per this many seconds, however many unknown `kid`s arrive. */
          jwksCooldownSeconds: int(0, 3600).default(30),
          jwksCacheMaxAgeSeconds: int(1, 86_400).default(600),
          /** The `typ` header every token must carry (e.g. `at+jwt`); unset: not checked. */
          requiredType: nonEmpty.optional(),
          /** Tokens older than this (since `iat`, which they then need) are refused; unset: no limit. */
          maxTokenAgeSeconds: int(1, 31_536_000).optional(),
          /** An `iat` later than now plus the clock tolerance is refused. */
          refuseFutureIat: z.boolean().default(true),
          /** Extension header parameters a token may list in `crit`; any other is refused. */
          criticalHeaders: z.array(nonEmpty).default([]),
        })
        .prefault({}),
      trustedProxies: z
        .array(z.string().trim().refine(isValidCidr, 'must be an IPv4 or IPv6 CIDR or address'))
        .default([]),
    })
    .prefault({})
    .superRefine((identity, ctx) => {
      if (identity.mode === 'jwt') {
        if (identity.jwt.issuer === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['jwt', 'issuer'],
            message: 'is required in jwt mode',
          });
        if (identity.jwt.audience === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['jwt', 'audience'],
            message: 'is required in jwt mode',
          });
        if ((identity.jwt.jwksUrl === undefined) === (identity.jwt.jwksFile === undefined))
          ctx.addIssue({
            code: 'custom',
            path: ['jwt', 'jwksUrl'],
            message: 'exactly one of jwksUrl and jwksFile is required in jwt mode',
          });
      } else if (identity.trustedProxies.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['trustedProxies'],
          message: 'at least one CIDR is required in trusted-headers mode',
        });
      }
    }),
  authorization: z
    .strictObject({
      rules: z
        .array(
          z
            .strictObject({
              subjects: z.array(nonEmpty).default([]),
              groups: z.array(nonEmpty).default([]),
              allow: z.array(permission).min(1),
              /** Project aliases the rule holds for; absent: every project. */
              projects: z
                .array(
                  z.string().regex(PROJECT_ALIAS.pattern, `must be ${PROJECT_ALIAS.description}`),
                )
                .min(1)
                .optional(),
            })
            .refine((rule) => rule.subjects.length + rule.groups.length > 0, {
              message: 'a rule needs at least one subject or group',
            }),
        )
        .default([]),
    })
    .prefault({}),
  rateLimit: z
    .strictObject({
      windowSeconds: int(1, 86_400).default(60),
      perCaller: int(1, 1_000_000).default(120),
      /** Requests without valid credentials, per client address and window; audited in summary beyond. */
      unauthenticatedPerAddress: int(1, 1_000_000).default(30),
      redisUrl: z
        .string()
        .trim()
        .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
        .optional(),
      /** What to do when the shared store cannot be reached: refuse (closed) or allow (open). */
      onStoreError: z.enum(['fail-closed', 'fail-open']).default('fail-closed'),
    })
    .prefault({}),
  upstream: z
    .strictObject({
      attemptTimeoutMs: int(1, 300_000).default(5_000),
      deadlineMs: int(1, 600_000).default(15_000),
      retries: int(0, 10).default(2),
      backoffBaseMs: int(0, 60_000).default(100),
      backoffMaxMs: int(0, 60_000).default(2_000),
      maxBodyBytes: int(1024, 16 * 1024 * 1024).default(64 * 1024),
      /** Huawei advises waiting 2–5 s after throttling; sent when the cloud gives no Retry-After. */
      throttleRetryAfterSeconds: int(1, 3600).default(3),
      circuitBreaker: z
        .strictObject({
          failureThreshold: int(1, 1000).default(5),
          openSeconds: int(1, 3600).default(30),
        })
        .prefault({}),
    })
    .prefault({}),
  audit: z
    .strictObject({
      store: z.enum(['sqlite', 'postgres']).default('sqlite'),
      sqlitePath: nonEmpty.default('./data/audit.db'),
      /**
       * SQLite commits on a worker thread, so that their fsync does not hold the event loop:
       * at half the maximum rate it keeps the added p99 latency ~7 times lower, for ~12 MB of
       * memory (docs/benchmarks.md, "Performance notes"). false runs them on the main thread.
       * Config file only.
       */
      sqliteWorker: z.boolean().default(true),
      postgresUrl: z
        .string()
        .trim()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
        .optional(),
      /**
       * The schema owner's URL, for `npm run audit:migrate` only: the gateway itself runs as a
       * role that may insert and read, never alter or drop (docs/audit-trail.md "Database roles").
       */
      postgresMigrationUrl: z
        .string()
        .trim()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
        .optional(),
      /** Names this instance's chain; defaults to the host name when empty. */
      instanceId: z
        .string()
        .regex(/^[A-Za-z0-9._-]{0,64}$/, 'must be 0–64 characters of [A-Za-z0-9._-]')
        .default(''),
      checkpoints: z
        .strictObject({
          /** Defaults to the SQLite path with `.checkpoints` appended. */
          path: nonEmpty.optional(),
          intervalSeconds: int(1, 86_400).default(60),
          everyRecords: int(1, 1_000_000).default(1000),
          /** Ed25519 private key, PKCS#8 PEM. Without one, checkpoints are not written. */
          signingKey: nonEmpty.refine(isSigningKey, SIGNING_KEY_MESSAGE).optional(),
          /** Ed25519 public key, SPKI PEM: what audit:verify checks signatures with. */
          publicKey: nonEmpty.optional(),
        })
        .prefault({}),
      /**
       * PostgreSQL: a live instance closes the open attempts of a chain whose writer showed no
       * sign of life for leaseSeconds (docs/audit-trail.md "Chains whose instance never comes
       * back"); each instance renews its own lease and looks every scanSeconds.
       */
      adoption: z
        .strictObject({
          leaseSeconds: int(3, 3600).default(DEFAULT_CHAIN_LEASE_SECONDS),
          scanSeconds: int(1, 1800).default(DEFAULT_ADOPTION_SCAN_SECONDS),
        })
        .prefault({})
        .refine((adoption) => adoption.scanSeconds * 2 <= adoption.leaseSeconds, {
          message:
            'must be at most half of leaseSeconds: a live instance renews its lease at every scan',
          path: ['scanSeconds'],
        }),
    })
    .prefault({})
    .refine((audit) => audit.store !== 'postgres' || audit.postgresUrl !== undefined, {
      message: 'postgresUrl is required when store is postgres',
      path: ['postgresUrl'],
    }),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
});

/** Only one place knows both the rules and the projects: the whole configuration. */
function checkRuleProjects(config: z.output<typeof configShape>, ctx: z.RefinementCtx): void {
  config.authorization.rules.forEach((rule, index) => {
    rule.projects?.forEach((alias, at) => {
      if (!Object.hasOwn(config.cloud.projects, alias)) {
        ctx.addIssue({
          code: 'custom',
          path: ['authorization', 'rules', index, 'projects', at],
          message: `names project "${alias}", which is not configured in cloud.projects`,
        });
      }
    });
  });
}

export const configSchema = configShape.superRefine(checkRuleProjects);

/** The whole schema with the checks that span keys: what each credentials mode needs. */
export const checkedConfigSchema = configSchema.superRefine(
  (config, ctx) => {
    checkCredentialSettings(config.cloud, ctx, ['cloud']);
  },
  { when: (payload) => canCheckCredentials(payload.value) },
);

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
