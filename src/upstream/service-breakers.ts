import type { Config } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { SERVICES, type ServiceName } from '../operations/catalog.ts';
import { createCircuitBreaker, type CircuitBreaker } from './circuit-breaker.ts';

export interface ServiceBreakersOptions {
  readonly circuitBreaker: Config['upstream']['circuitBreaker'];
  readonly clock: () => number;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

/** One circuit breaker per upstream service, each reporting its state to metrics and the log. */
export function createServiceBreakers(
  options: ServiceBreakersOptions,
): Record<ServiceName, CircuitBreaker> {
  const { circuitBreaker, clock, metrics, logger } = options;
  const breakerFor = (service: ServiceName): CircuitBreaker => {
    metrics.circuitState.labels(service).set(0);
    return createCircuitBreaker({
      failureThreshold: circuitBreaker.failureThreshold,
      openSeconds: circuitBreaker.openSeconds,
      clock,
      onStateChange: (state) => {
        // Half-open still refuses all but one call: it reads as "not closed".
        metrics.circuitState.labels(service).set(state === 'closed' ? 0 : 1);
        logger.warn({ service, circuit: state }, 'upstream circuit changed state');
      },
    });
  };
  // SERVICES lists every ServiceName, so each key of the record is present.
  return Object.fromEntries(SERVICES.map((service) => [service, breakerFor(service)])) as Record<
    ServiceName,
    CircuitBreaker
  >;
}
