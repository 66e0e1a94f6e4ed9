import { ConfigError } from '../config/config-error.ts';
import type { EndpointResolution, ProjectEndpoints } from './resolve-endpoints.ts';

/**
 * A configuration that is valid in itself but leaves a project's service without an endpoint.
 * It carries what did resolve, so `npm run config:check` can show it beside the problems.
 */
export class EndpointConfigError extends ConfigError {
  readonly projects: readonly ProjectEndpoints[];

  constructor(resolution: EndpointResolution) {
    super(resolution.problems);
    this.projects = resolution.projects;
  }
}
