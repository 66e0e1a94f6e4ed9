// The JSON bodies of POST /v3/auth/tokens (docs/api.md "Cloud credentials"), Keystone's shape as Huawei's IAM
// takes it. Huawei's IAM requires a scope with both methods.
import type { TokenScope } from './token-provider.ts';

export interface PasswordCredentials {
  readonly domain: string;
  readonly user: string;
  readonly password: string;
}

export interface AgencyTarget {
  /** The account (domain) that owns the agency. */
  readonly domain: string;
  readonly agency: string;
}

/** `{"project":{"id":…}}`, or `{"domain":{"name":…}}` naming `domain` for the domain scope. */
export function buildAuthScope(scope: TokenScope, domain: string): Record<string, unknown> {
  return scope.kind === 'project'
    ? { project: { id: scope.projectId } }
    : { domain: { name: domain } };
}

export function buildPasswordAuthBody(
  credentials: PasswordCredentials,
  scope: Record<string, unknown>,
): Record<string, unknown> {
  return {
    auth: {
      identity: {
        methods: ['password'],
        password: {
          user: {
            name: credentials.user,
            password: credentials.password,
            domain: { name: credentials.domain },
          },
        },
      },
      scope,
    },
  };
}

/** Step two of the agency exchange; the service account's own token goes in X-Auth-Token. */
export function buildAssumeRoleAuthBody(
  target: AgencyTarget,
  scope: Record<string, unknown>,
): Record<string, unknown> {
  return {
    auth: {
      identity: {
        methods: ['assume_role'],
        assume_role: { domain_name: target.domain, agency_name: target.agency },
      },
      scope,
    },
  };
}
