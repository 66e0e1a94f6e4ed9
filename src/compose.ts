// Builds the real dependencies of the app from a Config. `main.ts` and the demo use it as is;
// tests use it with the simulator's URLs and may replace single parts (a logger they can
// search, a clock). Every resource registers its cleanup the moment it exists, so a failure
// half-way through start-up releases what was already opened.

import type { RequestHandler } from 'express';
import type { Store } from 'express-rate-limit';
import { Registry } from 'prom-client';
import type { AppDeps } from './app.ts';
import { openAuditTrail, type OpenedAuditTrail } from './audit/open-audit-trail.ts';
import { createAuditQueryHandler } from './http/audit-query-routes.ts';
import { createPolicy } from './authz/policy.ts';
import { EndpointConfigError } from './cloud/endpoint-config-error.ts';
import { endpointLookupOf, resolveEndpoints } from './cloud/resolve-endpoints.ts';
import type { Config } from './config/schema.ts';
import { createAuditReadRecorder } from './http/audit-read-recorder.ts';
import { createAuditReportHandler } from './http/audit-report-route.ts';
import { createCallerRateLimit } from './http/rate-limit.ts';
import { createCredentials } from './credentials/create-credentials.ts';
import { createUnauthenticatedLimit } from './http/unauthenticated-limit.ts';
import { createTokenProvider } from './iam/create-token-provider.ts';
import { routeTokensByEndpoint } from './iam/route-tokens-by-endpoint.ts';
import type { TokenProvider } from './iam/token-provider.ts';
import { createCallerResolver } from './identity/create-caller-resolver.ts';
import { configSecrets } from './observability/config-secrets.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import type { ReadinessCheck } from './observability/readiness.ts';
import { buildOpenApi } from './openapi/build-openapi.ts';
import { createRevoker } from './upstream/create-revoker.ts';

export interface ComposeOverrides {
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly clock?: () => number;
}

export interface Composition {
  readonly deps: AppDeps;
  readonly auditTrail: OpenedAuditTrail;
  /** IAM tokens in password and oidc modes; a refusing stub in the signing modes. */
  readonly tokens: TokenProvider;
  /** Releases everything in reverse order of creation; safe to call twice. */
  close(): Promise<void>;
}

export async function composeDeps(
  config: Config,
  overrides: ComposeOverrides = {},
): Promise<Composition> {
  const cleanups: Cleanup[] = [];
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const cleanup of cleanups.reverse()) await cleanup();
  };

  try {
    // One list of the gateway's secrets, for the shared redaction wherever untrusted text goes.
    const secrets = configSecrets(config);
    const logger = overrides.logger ?? createLogger({ level: config.log.level, secrets });
    const parts: Parts = {
      config,
      logger,
      metrics: overrides.metrics ?? createMetrics(new Registry()),
      clock: overrides.clock ?? Date.now,
      cleanups,
      // Every dependency /readyz reports on. Callers see each one's code; its reasons are logged.
      readiness: [
        // The process cannot get this far with a configuration that failed to load or validate.
        { name: 'config', check: () => ({ ready: true, reasons: [], detail: 'loaded and valid' }) },
      ],
    };
    const { metrics, clock, readiness } = parts;

    const callers = createCallerResolver(config.identity, { logger, clock });
    cleanups.push(() => callers.close?.());
    const { rateLimit, unauthenticatedStore } = await composeRateLimit(parts);
    const { auditTrail, unauthenticatedLimit } = await composeAuditTrail(
      parts,
      unauthenticatedStore,
    );
    const { tokens, revoker } = composeRevoker(parts, secrets);

    const readRecorder = createAuditReadRecorder(auditTrail);
    const deps: AppDeps = {
      config,
      logger,
      metrics,
      callers,
      policy: createPolicy(config.authorization.rules),
      rateLimit,
      unauthenticatedLimit,
      auditTrail,
      auditQuery: createAuditQueryHandler(auditTrail.reader, { logger, recorder: readRecorder }),
      auditReport: createAuditReportHandler(config.audit, { clock, recorder: readRecorder }),
      revoker,
      readiness,
      openapi: buildOpenApi(config.identity.mode, Object.keys(config.cloud.projects)),
      clock,
    };
    return { deps, auditTrail, tokens, close };
  } catch (error) {
    await close();
    throw error;
  }
}

type Cleanup = () => Promise<void> | void;

/** What every part of the composition is built from, and where it registers itself. */
interface Parts {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: () => number;
  readonly cleanups: Cleanup[];
  readonly readiness: ReadinessCheck[];
}

/** The per-caller limit, in memory or in Redis; with Redis, also the unauthenticated store. */
async function composeRateLimit(
  parts: Parts,
): Promise<{ rateLimit: RequestHandler; unauthenticatedStore?: Store }> {
  const { config, metrics, logger } = parts;
  if (config.rateLimit.redisUrl === undefined) {
    return { rateLimit: createCallerRateLimit({ config: config.rateLimit, metrics, logger }) };
  }
  // Loaded only when configured: ioredis alone adds ~20 MB and ~50 ms to every start.
  const { createRedisRateLimitStore } = await import('./http/redis-rate-limit-store.ts');
  const redis = createRedisRateLimitStore(config.rateLimit.redisUrl, { logger });
  parts.cleanups.push(() => redis.close());
  // With fail-open, a Redis outage must not take every instance out of service at once.
  parts.readiness.push({
    name: 'rate-limit-store',
    check: () =>
      config.rateLimit.onStoreError === 'fail-open'
        ? { ready: true, reasons: [] }
        : { ...redis.readiness(), code: 'rate-limit-store-disconnected' },
  });
  return {
    rateLimit: createCallerRateLimit({
      config: config.rateLimit,
      metrics,
      logger,
      store: redis.store,
    }),
    unauthenticatedStore: redis.storeFor('rescind:rl-unauthenticated:'),
  };
}

/** The audit trail (after crash recovery), the unauthenticated limit that audits into it. */
async function composeAuditTrail(parts: Parts, unauthenticatedStore: Store | undefined) {
  const { config, metrics, logger, clock, cleanups, readiness } = parts;
  const auditTrail = await openAuditTrail({ config: config.audit, metrics, logger, clock });
  cleanups.push(() => auditTrail.close());
  // Closed before the trail (cleanups run in reverse): its pending summaries are written first.
  const unauthenticatedLimit = createUnauthenticatedLimit({
    config: config.rateLimit,
    metrics,
    auditTrail,
    logger,
    clock,
    ...(unauthenticatedStore !== undefined ? { store: unauthenticatedStore } : {}),
  });
  cleanups.push(() => unauthenticatedLimit.close());
  // openAuditTrail resolves only after crash recovery closed every dangling attempt, and the
  // server listens only after this: a process that answers /readyz has finished recovery.
  const { danglingRecovered } = auditTrail.stats();
  readiness.push({
    name: 'audit-recovery',
    check: () => ({
      ready: true,
      reasons: [],
      detail: `finished at start-up; ${danglingRecovered} dangling attempt(s) closed as unknown`,
    }),
  });
  // Whatever the store (SQLite, PostgreSQL), the trail's writer reports whether records can be
  // made durable now. A store that needs a live probe of its own adds a check here.
  readiness.push({
    name: 'audit-store',
    check: () => ({
      ...auditTrail.readiness(),
      code: 'audit-store-not-durable',
      detail: config.audit.store,
    }),
  });
  return { auditTrail, unauthenticatedLimit };
}

/** The endpoints, IAM tokens and credentials the revoker calls the cloud with. */
function composeRevoker(parts: Parts, secrets: ReturnType<typeof configSecrets>) {
  const { config, metrics, logger, clock } = parts;
  // loadConfig already refused a configuration that leaves a service without an endpoint.
  const endpoints = resolveEndpoints(config.cloud);
  if (endpoints.problems.length > 0) throw new EndpointConfigError(endpoints);
  const tokens = routeTokensByEndpoint({
    defaultEndpoint: config.cloud.iam.endpoint,
    projectEndpoints: new Map(
      endpoints.projects.flatMap((project) => {
        const iam = project.endpoints.iam?.url;
        return iam === undefined ? [] : [[project.projectId, iam] as const];
      }),
    ),
    create: (endpoint) => createModeTokenProvider(config, endpoint, { metrics, logger, clock }),
  });
  const revoker = createRevoker({
    upstream: config.upstream,
    endpoints: endpointLookupOf(endpoints),
    credentials: createCredentials({ cloud: config.cloud, tokens, logger, clock }),
    metrics,
    logger,
    clock,
    secrets,
  });
  return { tokens, revoker };
}

/** The IAM token provider of password and oidc modes; the signing modes never call IAM. */
function createModeTokenProvider(
  config: Config,
  endpoint: string,
  deps: { metrics: Metrics; logger: Logger; clock: () => number },
): TokenProvider {
  const { credentials } = config.cloud;
  const iam = { ...config.cloud.iam, endpoint };
  if (credentials.mode === 'password') return createTokenProvider({ iam, ...deps });
  if (credentials.mode === 'oidc') {
    return createTokenProvider({
      iam,
      ...deps,
      oidc: {
        idpId: credentials.idpId ?? '',
        tokenFile: credentials.oidcTokenFile ?? '',
        domainId: credentials.domainId,
      },
    });
  }
  return {
    getToken: () => Promise.reject(new Error(`no IAM tokens in ${credentials.mode} mode`)),
    invalidate: () => undefined,
  };
}
