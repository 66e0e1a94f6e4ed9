import type { Caller } from '../identity/caller.ts';

export interface PolicyRule {
  readonly subjects: readonly string[];
  readonly groups: readonly string[];
  /** Operation names, `prefix.*`, or `*`. */
  readonly allow: readonly string[];
  /**
   * Project aliases the rule holds for; absent, it holds for every project. A rule limited to
   * projects grants nothing that is not done in a project (`audit.read`).
   */
  readonly projects?: readonly string[] | undefined;
}

export interface Policy {
  /**
   * Default deny: true only when some rule names the caller, grants the permission and holds
   * for `project` (the alias the request targets; undefined for permissions outside projects).
   */
  allows(caller: Caller, permission: string, project?: string): boolean;
}

export function createPolicy(rules: readonly PolicyRule[]): Policy {
  const frozen = rules.map((rule) => ({
    subjects: new Set(rule.subjects),
    groups: new Set(rule.groups),
    allow: [...rule.allow],
    projects: rule.projects === undefined ? undefined : new Set(rule.projects),
  }));
  return {
    allows(caller, permission, project) {
      return frozen.some(
        (rule) =>
          (rule.subjects.has(caller.subject) || caller.groups.some((g) => rule.groups.has(g))) &&
          rule.allow.some((grant) => grants(grant, permission)) &&
          (rule.projects === undefined || (project !== undefined && rule.projects.has(project))),
      );
    },
  };
}

/**
 * `*` grants everything, `scm.*` every permission starting with `scm.`, anything else only
 * itself. So `modelarts.deleteAuthorization` never implies `modelarts.deleteAllAuthorizations`.
 */
export function grants(grant: string, permission: string): boolean {
  if (grant === '*') return true;
  if (grant.endsWith('.*')) return permission.startsWith(grant.slice(0, -1));
  return grant === permission;
}
