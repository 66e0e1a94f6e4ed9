import type { ReadinessReport } from '../audit/audit-trail.ts';

/** One dependency's readiness; `/readyz` is ready only when every check is. */
export interface ReadinessCheck {
  readonly name: string;
  /** Reasons must never contain secrets or connection strings. */
  check(): Promise<ReadinessReport> | ReadinessReport;
}
