import type { ProjectEndpoints } from './resolve-endpoints.ts';
import { ENDPOINT_SERVICES } from './resolve-endpoints.ts';

/**
 * The endpoint each service of each project resolves to, one line each, with where it came
 * from: what `npm run config:check` prints (docs/upstream.md "Endpoints").
 */
export function formatEndpoints(projects: readonly ProjectEndpoints[]): string {
  const lines = ['endpoints:'];
  for (const project of projects) {
    lines.push(`  ${project.alias} (project ${project.projectId}, region ${project.region})`);
    for (const service of ENDPOINT_SERVICES) {
      const endpoint = project.endpoints[service];
      const shown =
        endpoint === undefined
          ? 'NOT SET (see below)'
          : endpoint.url === undefined
            ? `none, turned off by ${endpoint.source}`
            : `${endpoint.url}  [${endpoint.source}]`;
      lines.push(`    ${service.padEnd(10)}${shown}`);
    }
  }
  return lines.join('\n');
}
