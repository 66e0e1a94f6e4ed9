// Parameter rules of docs/api.md "Routes", as data: request validation (`checkParam`) and the
// OpenAPI parameter schemas are both derived from these, so they cannot disagree.

export interface ParamRule {
  readonly pattern: RegExp;
  /** Values that match the pattern but are still refused, with the reason. */
  readonly forbidden?: readonly { readonly value: string; readonly reason: string }[];
  readonly description: string;
  readonly example: string;
}

/** `certId`, `certificateId`, `userId`: 1–64 characters of `[A-Za-z0-9_-]`. */
export const RESOURCE_ID: ParamRule = {
  pattern: /^[A-Za-z0-9_-]{1,64}$/,
  description: '1–64 characters of [A-Za-z0-9_-]',
  example: 'scs1554192131150',
};

export const USER_ID: ParamRule = {
  ...RESOURCE_ID,
  // Refused in any letter case: should ModelArts ever compare `user_id` case-insensitively, an
  // `ALL` here would be a mass revocation under the single-user permission.
  forbidden: [
    {
      value: 'all',
      reason:
        'must not be "all" (in any case): revoking every user has its own route and permission (DELETE /v1/modelarts/authorizations?allUsers=true)',
    },
  ],
  description: '1–64 characters of [A-Za-z0-9_-], not "all"',
  example: '0c4d1a6e5c8d4e3f9a2b7c6d5e4f3a2b',
};

/** SCM delete-CSR (docs/api.md "Upstream calls"): a CSR id is 16 to 40 characters. */
export const CSR_ID: ParamRule = {
  pattern: /^[A-Za-z0-9_-]{16,40}$/,
  description: '16–40 characters of [A-Za-z0-9_-]',
  example: 'csr-7d0f5c3b9a1e4f2d',
};

/** KMS revoke-grant (docs/api.md "Upstream calls"): the KMS key id pattern, verbatim. */
export const KMS_KEY_ID: ParamRule = {
  pattern: /^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$/,
  description: 'a KMS key id, e.g. 0d0466b0-e727-4d9c-b35d-f84bb474a37f',
  example: '0d0466b0-e727-4d9c-b35d-f84bb474a37f',
};

/** KMS revoke-grant (docs/api.md "Upstream calls"): the KMS grant id pattern, verbatim. */
export const KMS_GRANT_ID: ParamRule = {
  pattern: /^[A-Fa-f0-9]{64}$/,
  description: '64 hexadecimal characters',
  example: '7c9a3286af4fcca5f0a385ad13e1d21a50e27b6dbcab50f37f30f93b8939827d',
};

export const ALL_USERS_FLAG: ParamRule = {
  pattern: /^true$/,
  description: '"true", which confirms the revocation of every user\'s authorization',
  example: 'true',
};

/** A project alias from the configuration (`?project=eu`). */
export const PROJECT_ALIAS: ParamRule = {
  pattern: /^[a-z0-9][a-z0-9_-]{0,31}$/,
  description: 'a configured project alias (1–32 characters of [a-z0-9_-]); default "default"',
  example: 'default',
};

/** Returns why `value` breaks `rule`, or undefined when it is valid. */
export function checkParam(rule: ParamRule, value: unknown): string | undefined {
  if (typeof value !== 'string') return 'is required and must be a single string';
  if (!rule.pattern.test(value)) return `must be ${rule.description}`;
  const forbidden = rule.forbidden?.find((entry) => entry.value === value.toLowerCase());
  return forbidden?.reason;
}
