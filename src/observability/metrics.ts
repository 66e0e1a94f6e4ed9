// Every metric Rescind exports, defined once on an injected registry (so tests and several
// app instances never share global state). Names are `rescind_*` with unit suffixes. The specs
// are data: createMetrics builds them, and docs/operations.md lists them (a test keeps the two
// equal, see renderMetricsTable).

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** Prefix of the Node.js process metrics (prom-client's default metrics). */
export const PROCESS_METRICS_PREFIX = 'rescind_';

/** A metric's spec: how docs/operations.md describes it and what createMetrics registers. */
const spec =
  <T extends 'counter' | 'gauge' | 'histogram'>(type: T) =>
  <const L extends readonly string[]>(name: string, labelNames: L, help: string) => ({
    type,
    name,
    help,
    labelNames,
    ...(type === 'histogram' ? { buckets: LATENCY_BUCKETS } : {}),
  });
const counter = spec('counter');
const gauge = spec('gauge');
const histogram = spec('histogram');

export const METRIC_SPECS = {
  requestDuration: histogram(
    'rescind_request_duration_seconds',
    ['operation', 'result', 'status'],
    'Revocation requests by operation, audit result and HTTP status',
  ),
  upstreamDuration: histogram(
    'rescind_upstream_request_duration_seconds',
    ['service', 'status_class'],
    'Calls to cloud services by service and status class (2xx..5xx, network, timeout)',
  ),
  upstreamRetries: counter(
    'rescind_upstream_retries_total',
    ['service', 'reason'],
    'Upstream calls retried, by service and reason (a status, a network failure, token-rejected)',
  ),
  circuitState: gauge(
    'rescind_upstream_circuit_open',
    ['service'],
    '1 while the circuit breaker of a service is open or half-open, else 0',
  ),
  tokenExchanges: counter(
    'rescind_token_exchanges_total',
    ['scope', 'result'],
    'IAM token exchanges by scope (project:<alias>, domain, own-domain) and result (success, rejected, unavailable, throttled)',
  ),
  tokenCacheHits: counter(
    'rescind_token_cache_hits_total',
    ['scope'],
    'Token requests served from the cache, by scope',
  ),
  rateLimitRejections: counter(
    'rescind_rate_limit_rejections_total',
    [],
    'Requests refused because the caller exceeded its limit',
  ),
  unauthenticatedRejections: counter(
    'rescind_unauthenticated_rejections_total',
    [],
    'Requests without valid credentials refused (429) because their client address exceeded rateLimit.unauthenticatedPerAddress',
  ),
  rateLimitStoreErrors: counter(
    'rescind_rate_limit_store_errors_total',
    ['policy'],
    'Rate-limit store failures, by the onStoreError policy applied',
  ),
  auditCommitDuration: histogram(
    'rescind_audit_commit_duration_seconds',
    ['store'],
    'Time from handing a record to the audit store until it is durable, by store',
  ),
  auditWriteFailures: counter(
    'rescind_audit_write_failures_total',
    ['store'],
    'Audit records (or checkpoints) that could not be made durable',
  ),
  auditDanglingRecovered: counter(
    'rescind_audit_dangling_attempts_recovered_total',
    [],
    'Attempts without an outcome closed as unknown: at start-up, or in a chain adopted from an instance gone for good',
  ),
  auditChainHeadSeq: gauge(
    'rescind_audit_chain_head_seq',
    ['chain'],
    "Sequence number of the newest record of this instance's chain",
  ),
  auditCheckpointAge: gauge(
    'rescind_audit_checkpoint_age_seconds',
    [],
    'Seconds the newest audit records have gone without a signed checkpoint (0 while the head is covered, and without a signing key)',
  ),
} as const;

export type MetricSpec = (typeof METRIC_SPECS)[keyof typeof METRIC_SPECS];

export function createMetrics(
  registry: Registry = new Registry(),
  options: { process?: boolean } = {},
) {
  if (options.process ?? true) {
    collectDefaultMetrics({ register: registry, prefix: PROCESS_METRICS_PREFIX });
  }
  // The spec's `type` is for the docs; prom-client has its own.
  const c = <S extends MetricSpec>({ type: _type, ...config }: S) => ({
    ...config,
    registers: [registry],
  });
  const s = METRIC_SPECS;
  return {
    registry,
    requestDuration: new Histogram(c(s.requestDuration)),
    upstreamDuration: new Histogram(c(s.upstreamDuration)),
    upstreamRetries: new Counter(c(s.upstreamRetries)),
    circuitState: new Gauge(c(s.circuitState)),
    tokenExchanges: new Counter(c(s.tokenExchanges)),
    tokenCacheHits: new Counter(c(s.tokenCacheHits)),
    rateLimitRejections: new Counter(c(s.rateLimitRejections)),
    unauthenticatedRejections: new Counter(c(s.unauthenticatedRejections)),
    rateLimitStoreErrors: new Counter(c(s.rateLimitStoreErrors)),
    auditCommitDuration: new Histogram(c(s.auditCommitDuration)),
    auditWriteFailures: new Counter(c(s.auditWriteFailures)),
    auditDanglingRecovered: new Counter(c(s.auditDanglingRecovered)),
    auditChainHeadSeq: new Gauge(c(s.auditChainHeadSeq)),
    auditCheckpointAge: new Gauge(c(s.auditCheckpointAge)),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
