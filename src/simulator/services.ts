// The routes the simulator serves, as data, and the five revocation handlers. The flow of one
// call mirrors Huawei's: the API gateway in front resolves method+path (404 APIGW.0101 when
// there is no such API), then checks the token, then the service itself answers.
import { authenticateSigned } from './authenticate-signed.ts';
import { handleIamTokens } from './iam.ts';
import { handleIdTokenExchange } from './id-token.ts';
import {
  handleMetadataToken,
  handleSecurityKey,
  METADATA_KEY_PATH,
  METADATA_TOKEN_PATH,
} from './metadata.ts';
import {
  errorResponse,
  JSON_TYPE,
  keystoneError,
  SIM_ERRORS,
  tokenExpiredResponse,
} from './envelopes.ts';
import type { SimResponse } from './envelopes.ts';
import type { SimContext, SimRequest } from './sim-context.ts';
import type { SimService } from './simulator-types.ts';
import type { TokenRecord } from './token-store.ts';

type Params = Record<string, string>;

interface Route {
  service: SimService;
  method: string;
  /** Literal segments, and ':name' for a parameter. */
  pattern: readonly string[];
  /** Which token scope the API takes: project APIs check the token against {project_id}. */
  token: 'project' | 'domain' | 'none';
  handle: (
    ctx: SimContext,
    req: SimRequest,
    params: Params,
    token: TokenRecord | undefined,
  ) => SimResponse;
}

// The ids the gateway sends are 1-64 characters of [A-Za-z0-9_-] (contract §1); the simulator
// holds the cloud to the same, so "well-formed" means one thing on both sides.
const WELL_FORMED_ID = /^[A-Za-z0-9_-]{1,64}$/;
// SCM delete-CSR (docs/api.md "Upstream calls"): CSR ids are 16 to 40 characters.
const CSR_ID_LENGTH = { min: 16, max: 40 };
// the KMS revoke-grant API page's patterns.
const KMS_KEY_ID = /^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$/;
const KMS_GRANT_ID = /^[A-Fa-f0-9]{64}$/;
const KMS_SEQUENCE_LENGTH = 36;

const ROUTES: readonly Route[] = [
  {
    service: 'iam',
    method: 'POST',
    pattern: ['v3', 'auth', 'tokens'],
    token: 'none',
    handle: (ctx, req) => handleIamTokens(ctx, req),
  },
  {
    service: 'iam',
    method: 'POST',
    pattern: ['v3.0', 'OS-AUTH', 'id-token', 'tokens'],
    token: 'none',
    handle: (ctx, req) => handleIdTokenExchange(ctx, req),
  },
  {
    service: 'metadata',
    method: 'PUT',
    pattern: METADATA_TOKEN_PATH,
    token: 'none',
    handle: (ctx, req) => handleMetadataToken(ctx, req),
  },
  {
    service: 'metadata',
    method: 'GET',
    pattern: METADATA_KEY_PATH,
    token: 'none',
    handle: (ctx, req) => handleSecurityKey(ctx, req),
  },
  {
    service: 'scm',
    method: 'DELETE',
    pattern: ['v2', ':project_id', 'scm', 'privacy-protection', ':cert_id'],
    token: 'project',
    handle: revokeScmPrivacy,
  },
  {
    service: 'scm',
    method: 'DELETE',
    // SCM's /v3 API is global: it takes an account (domain) scoped token.
    pattern: ['v3', 'scm', 'csr', ':id'],
    token: 'domain',
    handle: deleteCsr,
  },
  {
    service: 'apig',
    method: 'DELETE',
    pattern: ['v2', ':project_id', 'apigw', 'certificates', ':certificate_id'],
    token: 'project',
    handle: deleteApigCertificate,
  },
  {
    service: 'kms',
    method: 'POST',
    pattern: ['v1.0', ':project_id', 'kms', 'revoke-grant'],
    token: 'project',
    handle: revokeKmsGrant,
  },
  {
    service: 'modelarts',
    method: 'DELETE',
    pattern: ['v2', ':project_id', 'authorizations'],
    token: 'project',
    handle: deleteModelArtsAuthorization,
  },
];

export interface RouteMatch {
  /** The service the call is recorded under and faults are matched against. */
  service: SimService;
  route: Route | undefined;
  params: Params;
  /** The path is a known API but the method is not. */
  knownPath: boolean;
}

export function matchRoute(method: string, segments: readonly string[]): RouteMatch {
  let pathMatch: Route | undefined;
  for (const route of ROUTES) {
    const params = matchPattern(route.pattern, segments);
    if (params === undefined) continue;
    if (route.method === method) return { service: route.service, route, params, knownPath: true };
    pathMatch ??= route;
  }
  if (pathMatch !== undefined) {
    return { service: pathMatch.service, route: undefined, params: {}, knownPath: true };
  }
  return { service: guessService(segments), route: undefined, params: {}, knownPath: false };
}

function matchPattern(pattern: readonly string[], segments: readonly string[]): Params | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Params = {};
  for (let i = 0; i < pattern.length; i += 1) {
    const expected = pattern[i] ?? '';
    const actual = segments[i] ?? '';
    if (expected.startsWith(':')) {
      if (actual === '') return undefined;
      params[expected.slice(1)] = actual;
    } else if (expected !== actual) {
      return undefined;
    }
  }
  return params;
}

// Unknown paths are recorded under the service their path names, so a test that injected a
// fault for a service also sees its misrouted calls; anything else is the API gateway's.
function guessService(segments: readonly string[]): SimService {
  if (segments[0] === 'v3' && segments[1] === 'auth') return 'iam';
  if (segments[0] === 'meta-data' || segments[0] === 'openstack') return 'metadata';
  if (segments.includes('kms')) return 'kms';
  if (segments.includes('scm')) return 'scm';
  if (segments.includes('authorizations')) return 'modelarts';
  return 'apig';
}

/** The normal answer to a call: route, token check, then the service's own handling. */
export function answerCall(ctx: SimContext, req: SimRequest, match: RouteMatch): SimResponse {
  const route = match.route;
  if (route === undefined) {
    if (!match.knownPath) return errorResponse(SIM_ERRORS.apiNotFound, req.requestId);
    // IAM is Keystone, which answers a wrong method with 405. (Real IAM also implements
    // GET/HEAD/DELETE on this path to validate and revoke tokens; the gateway uses none.)
    if (match.service === 'iam') {
      const answer = keystoneError(405, 'The method is not allowed for the requested URL.');
      return { ...answer, headers: { ...answer.headers, Allow: 'POST' } };
    }
    return errorResponse(SIM_ERRORS.methodNotFound, req.requestId);
  }
  if (route.token === 'none') return route.handle(ctx, req, match.params, undefined);
  const token = authenticate(ctx, req, route, match.params);
  if ('status' in token) return token;
  return route.handle(ctx, req, match.params, token);
}

// APIs behind the gateway answer 401 APIGW.0301/0307; KMS answers its own 403 KMS.03xx.
// A token of the wrong scope kind is "incorrect authentication information" (401; a
// domain-scoped token on a project API is answered APIGW.0301 in Huawei's cloud too), while a
// good token for another project is authenticated but not authorized (403).
function authenticate(
  ctx: SimContext,
  req: SimRequest,
  route: Route,
  params: Params,
): TokenRecord | SimResponse {
  const kms = route.service === 'kms';
  const invalid = (flatDetail: string, kmsMessage: string): SimResponse =>
    kms
      ? errorResponse(SIM_ERRORS.kmsTokenInvalid, req.requestId, kmsMessage)
      : errorResponse(
          SIM_ERRORS.tokenInvalid,
          req.requestId,
          `${SIM_ERRORS.tokenInvalid.message}: ${flatDetail}`,
        );
  const wrongScope = (flatDetail: string, kmsMessage: string): SimResponse =>
    kms
      ? errorResponse(SIM_ERRORS.kmsTokenScope, req.requestId, kmsMessage)
      : errorResponse(
          SIM_ERRORS.tokenInvalid,
          req.requestId,
          `${SIM_ERRORS.tokenInvalid.message}: ${flatDetail}`,
        );

  // A signed call is checked by its signature (authenticate-signed.ts), not by a token.
  if (req.signature !== undefined) return authenticateSigned(ctx, req, route, params);
  if (req.token === undefined) return invalid('x-auth-token not found', 'The token is missing.');
  const token = ctx.tokens.lookup(req.token);
  if (token === undefined) return invalid('decrypt token fail', 'The token is invalid.');
  if (ctx.clock() >= token.expiresAt) return tokenExpiredResponse(route.service, req.requestId);

  if (route.token === 'domain') {
    if (token.scope.kind !== 'domain') {
      return wrongScope(
        'this global API requires a domain-scoped token',
        'A domain-scoped token is required.',
      );
    }
    return token;
  }
  if (token.scope.kind !== 'project') {
    return wrongScope(
      'the token is not scoped to a project',
      'The token is not scoped to a project.',
    );
  }
  if (token.scope.projectId !== params.project_id) {
    return kms
      ? errorResponse(SIM_ERRORS.kmsTokenScope, req.requestId)
      : errorResponse(SIM_ERRORS.projectMismatch, req.requestId);
  }
  return token;
}

const json = (status: number, body: unknown): SimResponse => ({
  status,
  body: JSON.stringify(body),
  headers: { 'Content-Type': JSON_TYPE },
});

function revokeScmPrivacy(ctx: SimContext, req: SimRequest, params: Params): SimResponse {
  const projectId = params.project_id ?? '';
  const certId = params.cert_id ?? '';
  if (!WELL_FORMED_ID.test(certId)) {
    return errorResponse(SIM_ERRORS.scmBadParameter, req.requestId, 'Invalid parameter: cert_id.');
  }
  const result = ctx.autoReseed ? 'deleted' : ctx.resources.deleteScmPrivacy(projectId, certId);
  if (result !== 'deleted') return errorResponse(SIM_ERRORS.scmCertificateNotFound, req.requestId);
  return json(200, { message: 'success' });
}

function deleteCsr(
  ctx: SimContext,
  req: SimRequest,
  params: Params,
  token: TokenRecord | undefined,
): SimResponse {
  const id = params.id ?? '';
  if (id.length < CSR_ID_LENGTH.min || id.length > CSR_ID_LENGTH.max) {
    return errorResponse(SIM_ERRORS.scmBadParameter, req.requestId, 'Invalid parameter: id.');
  }
  const domain = token?.scope.kind === 'domain' ? token.scope.domain : '';
  const result = ctx.autoReseed ? 'deleted' : ctx.resources.deleteCsr(id, domain);
  if (result !== 'deleted') return errorResponse(SIM_ERRORS.scmCsrNotFound, req.requestId);
  return { status: 204 };
}

function deleteApigCertificate(ctx: SimContext, req: SimRequest, params: Params): SimResponse {
  const projectId = params.project_id ?? '';
  const certificateId = params.certificate_id ?? '';
  if (!WELL_FORMED_ID.test(certificateId))
    return errorResponse(SIM_ERRORS.apigBadParameter, req.requestId);
  const result = ctx.autoReseed
    ? 'deleted'
    : ctx.resources.deleteApigCertificate(projectId, certificateId);
  if (result === 'bound') return errorResponse(SIM_ERRORS.apigCertificateBound, req.requestId);
  if (result === 'not-found') {
    // APIG's not-found messages name the id: "The instance does not exist;id:…".
    const message = `${SIM_ERRORS.apigCertificateNotFound.message};id:${certificateId}`;
    return errorResponse(SIM_ERRORS.apigCertificateNotFound, req.requestId, message);
  }
  return { status: 204 };
}

function revokeKmsGrant(ctx: SimContext, req: SimRequest, params: Params): SimResponse {
  const bad = (message: string): SimResponse =>
    errorResponse(SIM_ERRORS.kmsBadRequest, req.requestId, message);
  // The contract has the gateway send Content-Type: application/json with a body; holding it
  // to that here catches a gateway that forgets.
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.toLowerCase().startsWith('application/json')) {
    return bad('The Content-Type must be application/json.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.body);
  } catch {
    return bad('The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return bad('The request body must be a JSON object.');
  }
  const { key_id: keyId, grant_id: grantId, sequence } = parsed as Record<string, unknown>;
  if (typeof keyId !== 'string' || !KMS_KEY_ID.test(keyId)) return bad('Invalid key_id.');
  if (typeof grantId !== 'string' || !KMS_GRANT_ID.test(grantId)) return bad('Invalid grant_id.');
  if (
    sequence !== undefined &&
    (typeof sequence !== 'string' || sequence.length !== KMS_SEQUENCE_LENGTH)
  ) {
    return bad('Invalid sequence: it must be a 36-character string.');
  }
  const projectId = params.project_id ?? '';
  const result = ctx.autoReseed
    ? 'deleted'
    : ctx.resources.deleteKmsGrant(projectId, keyId, grantId);
  if (result !== 'deleted') return errorResponse(SIM_ERRORS.kmsGrantNotFound, req.requestId);
  return json(200, {});
}

function deleteModelArtsAuthorization(
  ctx: SimContext,
  req: SimRequest,
  params: Params,
): SimResponse {
  const projectId = params.project_id ?? '';
  const userId = req.query.user_id;
  // ModelArts delete-authorizations (docs/api.md "Upstream calls") marks user_id optional without saying what its absence deletes. Guessing "all"
  // would turn a gateway bug into a mass revocation, so the simulator refuses instead.
  if (userId === undefined || userId === '') {
    return errorResponse(
      SIM_ERRORS.modelartsBadParameter,
      req.requestId,
      'Parameter error: user_id is required.',
    );
  }
  if (userId === 'all') {
    // ModelArts delete-authorizations (docs/api.md "Upstream calls"): user_id=all deletes the authorizations of every IAM user; 200 even if none.
    if (!ctx.autoReseed) ctx.resources.deleteAllModelArtsAuthorizations(projectId);
    return json(200, { result: 'true' });
  }
  if (!WELL_FORMED_ID.test(userId)) {
    return errorResponse(
      SIM_ERRORS.modelartsBadParameter,
      req.requestId,
      'Parameter error: user_id.',
    );
  }
  const result = ctx.autoReseed
    ? 'deleted'
    : ctx.resources.deleteModelArtsAuthorization(projectId, userId);
  if (result !== 'deleted')
    return errorResponse(SIM_ERRORS.modelartsAuthorizationNotFound, req.requestId);
  return json(200, { result: 'true' });
}
