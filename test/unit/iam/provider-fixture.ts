// A token provider wired to a real simulator on 127.0.0.1:0, with metrics on a private
// registry and the log captured at trace level. Everything started is closed by `t.after`.
import type { TestContext } from 'node:test';
import { Registry } from 'prom-client';
import type { Config } from '../../../src/config/schema.ts';
import { createTokenProvider, type OidcSettings } from '../../../src/iam/create-token-provider.ts';
import type { TokenProvider, TokenRequestOptions } from '../../../src/iam/token-provider.ts';
import { createMetrics, type Metrics } from '../../../src/observability/metrics.ts';
import {
  DEMO_ACCOUNT,
  startSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../../../src/simulator/index.ts';
import { captureLogger } from '../../helpers/log-capture.ts';

export type IamConfig = Config['cloud']['iam'];

export interface ProviderFixture {
  readonly sim: Simulator;
  readonly provider: TokenProvider;
  readonly metrics: Metrics;
  readonly iam: IamConfig;
  /** Every log line written so far, as one string. */
  readonly logs: () => string;
  /** `rescind_token_exchanges_total` as "scope result" → count. */
  readonly exchanges: () => Promise<Record<string, number>>;
  readonly cacheHits: () => Promise<Record<string, number>>;
}

export interface FixtureOptions {
  readonly sim?: SimulatorOptions;
  readonly iam?: Partial<IamConfig>;
  readonly clock?: () => number;
  /** oidc mode: the ID-token exchange instead of the password. */
  readonly oidc?: OidcSettings;
}

export async function startProvider(
  t: TestContext,
  options: FixtureOptions = {},
): Promise<ProviderFixture> {
  const sim = await startSimulator(options.sim);
  t.after(() => sim.close());
  const iam: IamConfig = {
    endpoint: sim.url,
    domain: DEMO_ACCOUNT.domain,
    user: DEMO_ACCOUNT.user,
    password: DEMO_ACCOUNT.password,
    tokenRefreshMarginSeconds: 2400,
    exchangeTimeoutMs: 5000,
    ...options.iam,
  };
  const { logger, text: logs } = captureLogger('trace');
  const metrics = createMetrics(new Registry(), { process: false });
  const provider = createTokenProvider({
    iam,
    metrics,
    logger,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.oidc === undefined ? {} : { oidc: options.oidc }),
  });
  const count = async (metric: Metrics['tokenExchanges'] | Metrics['tokenCacheHits']) => {
    const out: Record<string, number> = {};
    for (const { labels, value } of (await metric.get()).values) {
      out[Object.values(labels).join(' ')] = value;
    }
    return out;
  };
  return {
    sim,
    provider,
    metrics,
    iam,
    logs,
    exchanges: () => count(metrics.tokenExchanges),
    cacheHits: () => count(metrics.tokenCacheHits),
  };
}

/** Options for a call starting now that may take `deadlineMs`, on the given clock. */
export function requestOptions(
  deadlineMs = 15_000,
  clock: () => number = Date.now,
  requestId = 'req-0001',
): TokenRequestOptions {
  const now = clock();
  return { deadline: now + deadlineMs, useUntil: now + Math.min(deadlineMs, 5000), requestId };
}
