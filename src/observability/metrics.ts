// Every metric Rescind exports, defined once on an injected registry (so tests and several
// app instances never share global state). Names are `rescind_*` with unit suffixes.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

export function createMetrics(
  registry: Registry = new Registry(),
  options: { process?: boolean } = {},
) {
  if (options.process ?? true) collectDefaultMetrics({ register: registry, prefix: 'rescind_' });
  const registers = [registry];
  return {
    registry,
    requestDuration: new Histogram({
      name: 'rescind_request_duration_seconds',
      help: 'Revocation requests by operation and audit result',
      labelNames: ['operation', 'result', 'status'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    upstreamDuration: new Histogram({
      name: 'rescind_upstream_request_duration_seconds',
      help: 'Calls to cloud services by service and status class (2xx..5xx, network, timeout)',
      labelNames: ['service', 'status_class'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    upstreamRetries: new Counter({
      name: 'rescind_upstream_retries_total',
      help: 'Upstream calls retried, by service and reason',
      labelNames: ['service', 'reason'] as const,
      registers,
    }),
    circuitState: new Gauge({
      name: 'rescind_upstream_circuit_open',
      help: '1 while the circuit breaker of a service is open, else 0',
      labelNames: ['service'] as const,
      registers,
    }),
    tokenExchanges: new Counter({
      name: 'rescind_token_exchanges_total',
      help: 'IAM token exchanges by scope and result',
      labelNames: ['scope', 'result'] as const,
      registers,
    }),
    tokenCacheHits: new Counter({
      name: 'rescind_token_cache_hits_total',
      help: 'Token requests served from the cache, by scope',
      labelNames: ['scope'] as const,
      registers,
    }),
    rateLimitRejections: new Counter({
      name: 'rescind_rate_limit_rejections_total',
      help: 'Requests refused because the caller exceeded its limit',
      registers,
    }),
    rateLimitStoreErrors: new Counter({
      name: 'rescind_rate_limit_store_errors_total',
      help: 'Rate-limit store failures, by the onStoreError policy applied',
      labelNames: ['policy'] as const,
      registers,
    }),
    auditCommitDuration: new Histogram({
      name: 'rescind_audit_commit_duration_seconds',
      help: 'Time from handing a record to the audit store until it is durable',
      labelNames: ['store'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    auditWriteFailures: new Counter({
      name: 'rescind_audit_write_failures_total',
      help: 'Audit records that could not be made durable',
      labelNames: ['store'] as const,
      registers,
    }),
    auditDanglingRecovered: new Counter({
      name: 'rescind_audit_dangling_attempts_recovered_total',
      help: 'Attempts without an outcome closed as unknown at start-up',
      registers,
    }),
    auditChainHeadSeq: new Gauge({
      name: 'rescind_audit_chain_head_seq',
      help: "Sequence number of the newest record of this instance's chain",
      labelNames: ['chain'] as const,
      registers,
    }),
    auditCheckpointAge: new Gauge({
      name: 'rescind_audit_checkpoint_age_seconds',
      help: 'Seconds the newest audit records have gone without a signed checkpoint (0 while the head is covered)',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
