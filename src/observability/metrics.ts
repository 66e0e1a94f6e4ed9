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

export const METRIC_SPECS = {
  requestDuration: {
    type: 'histogram',
    name: 'rescind_request_duration_seconds',
    help: 'Revocation requests by operation, audit result and HTTP status',
    labelNames: ['operation', 'result', 'status'] as const,
    buckets: LATENCY_BUCKETS,
  },
  upstreamDuration: {
    type: 'histogram',
    name: 'rescind_upstream_request_duration_seconds',
    help: 'Calls to cloud services by service and status class (2xx..5xx, network, timeout)',
    labelNames: ['service', 'status_class'] as const,
    buckets: LATENCY_BUCKETS,
  },
  upstreamRetries: {
    type: 'counter',
    name: 'rescind_upstream_retries_total',
    help: 'Upstream calls retried, by service and reason (a status, a network failure, token-rejected)',
    labelNames: ['service', 'reason'] as const,
  },
  circuitState: {
    type: 'gauge',
    name: 'rescind_upstream_circuit_open',
    help: '1 while the circuit breaker of a service is open or half-open, else 0',
    labelNames: ['service'] as const,
  },
  tokenExchanges: {
    type: 'counter',
    name: 'rescind_token_exchanges_total',
    help: 'IAM token exchanges by scope (project:<alias>, domain, own-domain) and result (success, rejected, unavailable, throttled)',
    labelNames: ['scope', 'result'] as const,
  },
  tokenCacheHits: {
    type: 'counter',
    name: 'rescind_token_cache_hits_total',
    help: 'Token requests served from the cache, by scope',
    labelNames: ['scope'] as const,
  },
  rateLimitRejections: {
    type: 'counter',
    name: 'rescind_rate_limit_rejections_total',
    help: 'Requests refused because the caller exceeded its limit',
    labelNames: [] as const,
  },
  unauthenticatedRejections: {
    type: 'counter',
    name: 'rescind_unauthenticated_rejections_total',
    help: 'Requests without valid credentials refused (429) because their client address exceeded rateLimit.unauthenticatedPerAddress',
    labelNames: [] as const,
  },
  rateLimitStoreErrors: {
    type: 'counter',
    name: 'rescind_rate_limit_store_errors_total',
    help: 'Rate-limit store failures, by the onStoreError policy applied',
    labelNames: ['policy'] as const,
  },
  auditCommitDuration: {
    type: 'histogram',
    name: 'rescind_audit_commit_duration_seconds',
    help: 'Time from handing a record to the audit store until it is durable, by store',
    labelNames: ['store'] as const,
    buckets: LATENCY_BUCKETS,
  },
  auditWriteFailures: {
    type: 'counter',
    name: 'rescind_audit_write_failures_total',
    help: 'Audit records (or checkpoints) that could not be made durable',
    labelNames: ['store'] as const,
  },
  auditDanglingRecovered: {
    type: 'counter',
    name: 'rescind_audit_dangling_attempts_recovered_total',
    help: 'Attempts without an outcome closed as unknown: at start-up, or in a chain adopted from an instance gone for good',
    labelNames: [] as const,
  },
  auditChainHeadSeq: {
    type: 'gauge',
    name: 'rescind_audit_chain_head_seq',
    help: "Sequence number of the newest record of this instance's chain",
    labelNames: ['chain'] as const,
  },
  auditCheckpointAge: {
    type: 'gauge',
    name: 'rescind_audit_checkpoint_age_seconds',
    help: 'Seconds the newest audit records have gone without a signed checkpoint (0 while the head is covered, and without a signing key)',
    labelNames: [] as const,
  },
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
