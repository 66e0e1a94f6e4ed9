import type { Caller } from '../identity/caller.ts';

export interface PolicyRule {
  readonly subjects: readonly string[];
  readonly groups: readonly string[];
  /** Operation names, `prefix.*`, or `*`. */
  readonly allow: readonly string[];
}

export interface Policy {
  /** Default deny: true only when some rule names the caller and grants the permission. */
  allows(caller: Caller, permission: string): boolean;
}

export function createPolicy(rules: readonly PolicyRule[]): Policy {
  const frozen = rules.map((rule) => ({
    subjects: new Set(rule.subjects),
    groups: new Set(rule.groups),
    allow: [...rule.allow],
  }));
  return {
    allows(caller, permission) {
      return frozen.some(
        (rule) =>
          (rule.subjects.has(caller.subject) || caller.groups.some((g) => rule.groups.has(g))) &&
          rule.allow.some((grant) => grants(grant, permission)),
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
