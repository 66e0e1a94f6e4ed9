// The operation catalog: every revocation Rescind performs, as data (STYLE: "Operations are
// data"). Routes, parameter validation, authorization names, token scope, the upstream request,
// what counts as success, the audit target and the OpenAPI document are all derived from it.
// Adding an operation is one entry here plus its tests.

import { isUuid } from '../util/uuid.ts';
import {
  ALL_USERS_FLAG,
  CSR_ID,
  KMS_GRANT_ID,
  KMS_KEY_ID,
  RESOURCE_ID,
  USER_ID,
  type ParamRule,
} from './param-rules.ts';

export const SERVICES = ['scm', 'apig', 'kms', 'modelarts'] as const;
export type ServiceName = (typeof SERVICES)[number];

/**
 * Which IAM token an operation needs. Regional services take a token scoped to the target
 * project; SCM's `/v3` API is a global service and takes an account (domain) scoped token.
 */
export type TokenScopeKind = 'project' | 'domain';

export interface UpstreamPlanInput {
  readonly projectId: string;
  readonly requestId: string;
  readonly target: Readonly<Record<string, string>>;
}

/** The cloud call an operation translates into. Paths are relative to the service endpoint. */
export interface UpstreamPlan {
  readonly method: 'DELETE' | 'POST';
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/**
 * What counts as success, after the API pages and Huawei's SDK response models
 * (docs/upstream.md "Success"). A 2xx whose body contradicts it is not a success: `json` means
 * the body must parse as a JSON object and pass `check`; `json-or-empty` accepts an empty body
 * too; `none` reads no body.
 */
export interface SuccessRule {
  readonly statuses: readonly number[];
  readonly body: 'none' | 'json' | 'json-or-empty';
  /** Returns why a parsed body contradicts the documented success, or undefined. */
  readonly check?: (json: Record<string, unknown>) => string | undefined;
}

export interface OperationSpec {
  readonly name: string;
  readonly summary: string;
  readonly service: ServiceName;
  /** OpenAPI-style path template; `{name}` segments are path parameters. */
  readonly path: string;
  readonly method: 'DELETE';
  readonly pathParams: Readonly<Record<string, ParamRule>>;
  /** Query parameters specific to the operation (`project` is common to all and not listed). */
  readonly queryParams: Readonly<Record<string, ParamRule>>;
  readonly tokenScope: TokenScopeKind;
  readonly upstream: (input: UpstreamPlanInput) => UpstreamPlan;
  readonly success: SuccessRule;
}

const enc = encodeURIComponent;

export const OPERATIONS = [
  {
    name: 'scm.revokePrivacy',
    summary: 'Revoke the privacy-data authorization of an SSL certificate (SCM)',
    service: 'scm',
    method: 'DELETE',
    path: '/v1/scm/certificates/{certId}/privacy',
    pathParams: { certId: RESOURCE_ID },
    queryParams: {},
    tokenScope: 'project',
    upstream: ({ projectId, target }) => ({
      method: 'DELETE',
      path: `/v2/${enc(projectId)}/scm/privacy-protection/${enc(target.certId ?? '')}`,
    }),
    success: {
      statuses: [200],
      body: 'json',
      check: (json) =>
        json.message === 'success' ? undefined : 'the body\'s "message" is not "success"',
    },
  },
  {
    name: 'scm.deleteCsr',
    summary: 'Delete a certificate signing request (SCM, global /v3 API)',
    service: 'scm',
    method: 'DELETE',
    path: '/v1/scm/csrs/{csrId}',
    pathParams: { csrId: CSR_ID },
    queryParams: {},
    tokenScope: 'domain',
    upstream: ({ target }) => ({
      method: 'DELETE',
      path: `/v3/scm/csr/${enc(target.csrId ?? '')}`,
    }),
    success: { statuses: [204], body: 'none' },
  },
  {
    name: 'apig.deleteCertificate',
    summary: 'Delete an SSL certificate from API Gateway (only when bound to no domain)',
    service: 'apig',
    method: 'DELETE',
    path: '/v1/apig/certificates/{certificateId}',
    pathParams: { certificateId: RESOURCE_ID },
    queryParams: {},
    tokenScope: 'project',
    upstream: ({ projectId, target }) => ({
      method: 'DELETE',
      path: `/v2/${enc(projectId)}/apigw/certificates/${enc(target.certificateId ?? '')}`,
    }),
    success: { statuses: [204], body: 'none' },
  },
  {
    name: 'kms.revokeGrant',
    summary: 'Revoke a KMS key grant',
    service: 'kms',
    method: 'DELETE',
    path: '/v1/kms/keys/{keyId}/grants/{grantId}',
    pathParams: { keyId: KMS_KEY_ID, grantId: KMS_GRANT_ID },
    queryParams: {},
    tokenScope: 'project',
    upstream: ({ projectId, requestId, target }) => ({
      method: 'POST',
      path: `/v1.0/${enc(projectId)}/kms/revoke-grant`,
      // KMS revoke-grant (docs/api.md "Upstream calls"): `sequence` is a 36-character request serial number; the request id is
      // sent when it has that form, so KMS-side logs correlate with ours.
      body: {
        key_id: target.keyId,
        grant_id: target.grantId,
        ...(isUuid(requestId) ? { sequence: requestId } : {}),
      },
    }),
    // The SDKs' RevokeGrantResponse has no fields: 200 with any JSON object or nothing, or 204.
    success: { statuses: [200, 204], body: 'json-or-empty' },
  },
  {
    name: 'modelarts.deleteAuthorization',
    summary: "Delete one user's ModelArts authorization",
    service: 'modelarts',
    method: 'DELETE',
    path: '/v1/modelarts/authorizations/{userId}',
    pathParams: { userId: USER_ID },
    queryParams: {},
    tokenScope: 'project',
    upstream: ({ projectId, target }) => ({
      method: 'DELETE',
      path: `/v2/${enc(projectId)}/authorizations`,
      query: { user_id: target.userId ?? '' },
    }),
    success: { statuses: [200], body: 'json', check: checkModelArtsResult },
  },
  {
    name: 'modelarts.deleteAllAuthorizations',
    summary: "Delete every IAM user's ModelArts authorization in the project",
    service: 'modelarts',
    method: 'DELETE',
    path: '/v1/modelarts/authorizations',
    pathParams: {},
    queryParams: { allUsers: ALL_USERS_FLAG },
    tokenScope: 'project',
    upstream: ({ projectId }) => ({
      method: 'DELETE',
      path: `/v2/${enc(projectId)}/authorizations`,
      query: { user_id: 'all' },
    }),
    success: { statuses: [200], body: 'json', check: checkModelArtsResult },
  },
] as const satisfies readonly OperationSpec[];

/** `"true"` as documented, or the boolean `true`; anything else (`"false"`, `false`) is not. */
function checkModelArtsResult(json: Record<string, unknown>): string | undefined {
  return json.result === 'true' || json.result === true
    ? undefined
    : 'the body\'s "result" is not "true"';
}

export type OperationName = (typeof OPERATIONS)[number]['name'];

export const OPERATION_NAMES: readonly OperationName[] = OPERATIONS.map((op) => op.name);

/** Permissions that guard something other than a revocation. */
export const EXTRA_PERMISSIONS = ['audit.read'] as const;

export const PERMISSIONS: readonly string[] = [...OPERATION_NAMES, ...EXTRA_PERMISSIONS];

export function findOperation(name: string): OperationSpec | undefined {
  return OPERATIONS.find((op) => op.name === name);
}
