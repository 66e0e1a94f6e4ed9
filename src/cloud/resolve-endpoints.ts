// Which endpoint each project's calls go to (docs/upstream.md "Endpoints"). Pure: from the
// configuration and the SDKs' region table to one URL per project and service, or to problems
// that name the key to set. A host name is never guessed.

import type { ConfigProblem } from '../config/config-error.ts';
import { envVariableForKey } from '../config/env-table.ts';
import type { Config } from '../config/schema.ts';
import { SERVICES, type ServiceName } from '../operations/catalog.ts';
import { resolveEndpoint } from '../upstream/resolve-endpoint.ts';
import { tableEndpoint, tableRegions, type EndpointService } from './endpoint-table.ts';

export const ENDPOINT_SERVICES = ['iam', ...SERVICES] as const satisfies readonly EndpointService[];

/** One resolved endpoint and where it came from (a config key, a variable or the table). */
export type ResolvedEndpoint =
  | { readonly url: string; readonly source: string }
  /** `none` in the project's endpoints: the service is off for this project. */
  | { readonly url: undefined; readonly source: string };

export interface ProjectEndpoints {
  readonly alias: string;
  readonly projectId: string;
  readonly region: string;
  /** Only the services that resolved; the others are problems. */
  readonly endpoints: Partial<Record<EndpointService, ResolvedEndpoint>>;
}

export interface EndpointResolution {
  readonly projects: readonly ProjectEndpoints[];
  readonly problems: readonly ConfigProblem[];
}

type Cloud = Config['cloud'];
type Project = Cloud['projects'][string];
type Outcome = ResolvedEndpoint | ConfigProblem;

export function resolveEndpoints(cloud: Cloud): EndpointResolution {
  const problems: ConfigProblem[] = [];
  const scmRegions = tableRegions('scm');
  if (cloud.scmRegion !== undefined && !scmRegions.includes(cloud.scmRegion)) {
    problems.push({
      key: 'cloud.scmRegion',
      variable: 'RESCIND_SCM_REGION',
      message: `the region table lists SCM only in ${scmRegions.join(', ')}; "${cloud.scmRegion}" is not one of them`,
    });
  }
  const projects = Object.entries(cloud.projects).map(([alias, project]) => {
    const region = project.region ?? cloud.region;
    const endpoints: Partial<Record<EndpointService, ResolvedEndpoint>> = {};
    for (const service of ENDPOINT_SERVICES) {
      const outcome =
        service === 'iam'
          ? resolveIam(alias, project, region, cloud)
          : resolveService(alias, project, region, service, cloud);
      if ('message' in outcome) problems.push(outcome);
      else endpoints[service] = outcome;
    }
    return { alias, projectId: project.id, region, endpoints };
  });
  return { projects, problems };
}

function resolveService(
  alias: string,
  project: Project,
  region: string,
  service: ServiceName,
  cloud: Cloud,
): Outcome {
  const key = `cloud.projects.${alias}.endpoints.${service}`;
  const variable = envVariableForKey(['cloud', 'endpoints', service])?.name;
  const own = project.endpoints?.[service];
  if (own === 'none') return { url: undefined, source: key };
  if (own !== undefined) return fromTemplate(own, region, key);
  const shared = cloud.endpoints[service];
  if (shared !== undefined) {
    return fromTemplate(shared, region, `cloud.endpoints.${service} (${variable ?? ''})`);
  }
  // SCM is a global service: its endpoint is the one of `scmRegion` when set, else the
  // project's region, and only the regions the table lists SCM in have one.
  const tableRegion = service === 'scm' ? (cloud.scmRegion ?? region) : region;
  const listed = tableEndpoint(service, tableRegion);
  if (listed !== undefined) return { url: listed, source: `region table (${tableRegion})` };
  const alternative =
    service === 'scm'
      ? `RESCIND_SCM_REGION (${tableRegions('scm').join(', ')})`
      : `${variable ?? ''} (every project)`;
  return {
    key,
    ...(variable === undefined ? {} : { variable }),
    message:
      `no ${service} endpoint is listed for region "${region}"; set ${key} (a URL, or "none" ` +
      `if this project does not use ${service}) or ${alternative}`,
  };
}

/**
 * IAM: the project's own setting; else `cloud.iam.endpoint`, unless that is a Huawei Cloud
 * public endpoint of another site than the project's region (eu-west-101 is Huawei Cloud
 * Europe, `.myhuaweicloud.eu`): then the region's IAM from the table.
 */
function resolveIam(alias: string, project: Project, region: string, cloud: Cloud): Outcome {
  const key = `cloud.projects.${alias}.endpoints.iam`;
  const own = project.endpoints?.iam;
  if (own !== undefined) return fromTemplate(own, region, key);
  const shared = cloud.iam.endpoint;
  const regional = tableEndpoint('iam', region);
  const sharedSite = siteOf(shared);
  if (regional !== undefined && sharedSite !== undefined && siteOf(regional) !== sharedSite) {
    return {
      url: regional,
      source: `region table (${region}, another site than cloud.iam.endpoint)`,
    };
  }
  return { url: shared, source: 'cloud.iam.endpoint (RESCIND_IAM_ENDPOINT)' };
}

function fromTemplate(template: string, region: string, source: string): Outcome {
  const url = resolveEndpoint(template, region);
  if (url !== undefined) return { url, source };
  const key = source.split(' ')[0] ?? source;
  return { key, message: `does not form an http(s) URL for region "${region}"` };
}

/** `eu` for https://x.myhuaweicloud.eu; undefined for a host that is not Huawei's public one. */
function siteOf(url: string): string | undefined {
  try {
    return /(?:^|\.)myhuaweicloud\.([a-z]+)$/.exec(new URL(url).hostname)?.[1];
  } catch {
    return undefined;
  }
}

/** The endpoint of `service` for a project alias; undefined when off or unknown. */
export type EndpointLookup = (alias: string, service: EndpointService) => string | undefined;

export function endpointLookupOf(resolution: EndpointResolution): EndpointLookup {
  const byAlias = new Map(resolution.projects.map((project) => [project.alias, project]));
  return (alias, service) => byAlias.get(alias)?.endpoints[service]?.url;
}
