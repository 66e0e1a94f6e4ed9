// Every error the simulator answers, in the envelope the real service uses. One catalog, so a
// test can assert a code by name and the README can list them.
//
// Where a code is Huawei's documented one it says so; the others were chosen because the seeds
// show only placeholders (SCM.XXXX, KMS.XXXX) and the service's full table was not at hand.
// They follow each service's numbering style, and the gateway must not depend on their digits.
import type { SimService } from './simulator-types.ts';

/** What a handler decided to answer; the server adds X-Request-Id and the length. */
export interface SimResponse {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** A load balancer's own answer: no X-Request-Id, as the service never saw the call. */
  withoutRequestId?: boolean;
}

export interface SimError {
  status: number;
  code: string;
  message: string;
  /** flat: {"error_code","error_msg","request_id"}; nested: {"error":{"error_code","error_msg"}} */
  envelope: 'flat' | 'nested';
}

export const JSON_TYPE = 'application/json;charset=UTF-8';

export const SIM_ERRORS = {
  // Huawei's API gateway, in front of every service, answers these itself (documented codes,
  // APIG user guide "Error Codes" and the API signing guide's APIGW table).
  apiNotFound: {
    status: 404,
    code: 'APIGW.0101',
    message: 'The API does not exist or has not been published in the environment.',
    envelope: 'flat',
  },
  // The gateway routes on method and path together: a known path with another method is
  // simply an API that does not exist (APIG.0101 "The API does not exist.", 404).
  methodNotFound: {
    status: 404,
    code: 'APIGW.0101',
    message: 'The API does not exist.',
    envelope: 'flat',
  },
  tokenInvalid: {
    status: 401,
    code: 'APIGW.0301',
    message: 'Incorrect IAM authentication information',
    envelope: 'flat',
  },
  tokenExpired: {
    status: 401,
    code: 'APIGW.0307',
    message: 'The token must be updated.',
    envelope: 'flat',
  },
  // A valid token for another project: authenticated but not authorized for this URL.
  projectMismatch: {
    status: 403,
    code: 'APIGW.0302',
    message: 'The IAM user is not authorized to access the API.',
    envelope: 'flat',
  },
  throttled: {
    status: 429,
    code: 'APIG.0308',
    message:
      'The throttling threshold has been reached: policy user over ratelimit,limit:100,time:1 minute',
    envelope: 'flat',
  },
  bodyTooLarge: {
    status: 413,
    code: 'APIG.0201',
    message: 'Request entity too large.',
    envelope: 'flat',
  },
  systemError: { status: 500, code: 'APIG.9999', message: 'System error', envelope: 'flat' },

  // KMS answers its own auth failures as 403 nested (docs/api.md "Cloud credentials" lists KMS.0301-0303).
  kmsTokenInvalid: {
    status: 403,
    code: 'KMS.0303',
    message: 'The token is invalid or has expired.',
    envelope: 'nested',
  },
  kmsTokenScope: {
    status: 403,
    code: 'KMS.0302',
    message: 'The token is not valid for this project.',
    envelope: 'nested',
  },
  kmsBadRequest: {
    status: 400,
    code: 'KMS.0201',
    message: 'The request is invalid.',
    envelope: 'nested',
  },
  kmsGrantNotFound: {
    status: 404,
    code: 'KMS.0207',
    message: 'The grant does not exist.',
    envelope: 'nested',
  },
  kmsThrottled: {
    status: 429,
    code: 'KMS.0308',
    message: 'The request rate exceeds the limit.',
    envelope: 'nested',
  },

  scmBadParameter: {
    status: 400,
    code: 'SCM.0001',
    message: 'Invalid parameter.',
    envelope: 'flat',
  },
  scmCertificateNotFound: {
    status: 404,
    code: 'SCM.0002',
    message: 'The certificate does not exist or has no privacy information.',
    envelope: 'flat',
  },
  scmCsrNotFound: {
    status: 404,
    code: 'SCM.0301',
    message: 'The CSR does not exist.',
    envelope: 'flat',
  },

  // APIG.2012 and APIG.3021 are documented (APIG API reference error code table).
  apigBadParameter: {
    status: 400,
    code: 'APIG.2012',
    message:
      'Invalid parameter value,parameterName:certificate_id. Please refer to the support documentation',
    envelope: 'flat',
  },
  apigCertificateNotFound: {
    status: 404,
    code: 'APIG.3021',
    message: 'The SSL certificate does not exist',
    envelope: 'flat',
  },
  // APIG delete-certificate (docs/api.md "Upstream calls"): "Only certificates that are not bound to any domain name can be deleted."
  apigCertificateBound: {
    status: 409,
    code: 'APIG.4018',
    message: 'The SSL certificate is bound to domain names and cannot be deleted. Unbind it first.',
    envelope: 'flat',
  },

  // ModelArts.0104 "Parameter error." is documented (ModelArts API reference).
  modelartsBadParameter: {
    status: 400,
    code: 'ModelArts.0104',
    message: 'Parameter error.',
    envelope: 'flat',
  },
  modelartsAuthorizationNotFound: {
    status: 404,
    code: 'ModelArts.6404',
    message: 'The authorization does not exist.',
    envelope: 'flat',
  },

  // IAM's own codes are flat (IAM.xxxx); only the Keystone routes use {"error":{"code"...}}.
  iamThrottled: {
    status: 429,
    code: 'IAM.0012',
    message: 'The request is too frequent. Try again later.',
    envelope: 'flat',
  },
} as const satisfies Record<string, SimError>;

export type SimErrorName = keyof typeof SIM_ERRORS;

/** Answers `error`, with `message` replacing the catalog's sentence when given. */
export function errorResponse(error: SimError, requestId: string, message?: string): SimResponse {
  const text = message ?? error.message;
  const body =
    error.envelope === 'flat'
      ? { error_code: error.code, error_msg: text, request_id: requestId }
      : { error: { error_code: error.code, error_msg: text } };
  return {
    status: error.status,
    body: JSON.stringify(body),
    headers: { 'Content-Type': JSON_TYPE },
  };
}

const KEYSTONE_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Request Entity Too Large',
};

/** IAM's Keystone routes: {"error":{"code":401,"message":"…","title":"Unauthorized"}}. */
export function keystoneError(status: number, message: string): SimResponse {
  const body = { error: { code: status, message, title: KEYSTONE_TITLES[status] ?? 'Error' } };
  return { status, body: JSON.stringify(body), headers: { 'Content-Type': JSON_TYPE } };
}

/** The throttling answer of each service; none carries Retry-After (docs/api.md "Cloud credentials"). */
export function throttledError(service: SimService): SimError {
  if (service === 'kms') return SIM_ERRORS.kmsThrottled;
  if (service === 'iam') return SIM_ERRORS.iamThrottled;
  return SIM_ERRORS.throttled;
}

/** What each service answers for an expired token. */
export function tokenExpiredResponse(service: SimService, requestId: string): SimResponse {
  if (service === 'kms') {
    return errorResponse(SIM_ERRORS.kmsTokenInvalid, requestId, 'The token has expired.');
  }
  // IAM validates the caller's own token only on assume_role, with a Keystone answer.
  if (service === 'iam') return keystoneError(401, 'The token has expired.');
  return errorResponse(SIM_ERRORS.tokenExpired, requestId);
}

/** The simulator's encoded policy denial: opaque, as IAM's is, and decodable by nobody. */
export function encodedAuthorizationMessage(service: SimService): string {
  return Buffer.from(`simulated denial: ${service}:*:revoke is not allowed`).toString('base64');
}

const JSON_HEADERS = { 'Content-Type': JSON_TYPE };
const answer = (status: number, body: object): SimResponse => ({
  status,
  body: JSON.stringify(body),
  headers: JSON_HEADERS,
});

/**
 * A 403 for a policy denial, with `encoded_authorization_message`: beside the flat pair for the
 * services behind the API gateway, inside the envelope for KMS and IAM (Keystone).
 */
export function encodedDenialResponse(service: SimService, requestId: string): SimResponse {
  const encoded = encodedAuthorizationMessage(service);
  const message = `The user is not authorized to perform ${service}:*:revoke.`;
  if (service === 'iam') {
    return answer(403, {
      error: { code: 403, message, title: 'Forbidden', encoded_authorization_message: encoded },
    });
  }
  if (service === 'kms') {
    return answer(403, {
      error: { error_code: 'KMS.0205', error_msg: message, encoded_authorization_message: encoded },
    });
  }
  return answer(403, {
    error_code: SIM_ERRORS.projectMismatch.code,
    error_msg: message,
    request_id: requestId,
    encoded_authorization_message: encoded,
  });
}

const SERVICE_PREFIX: Record<SimService, string> = {
  iam: 'IAM',
  scm: 'SCM',
  apig: 'APIG',
  kms: 'KMS',
  modelarts: 'ModelArts',
  metadata: 'Metadata',
};

/** A top-level `{"code","message"}` body. */
export function codeMessageResponse(service: SimService, status: number): SimResponse {
  return answer(status, {
    code: `${SERVICE_PREFIX[service]}.${String(status).padStart(4, '0')}`,
    message: `Simulated ${String(status)} in the code/message envelope.`,
  });
}

/** The pair under another key, with a numeric code (OpenStack style). */
export function nestedPairResponse(status: number): SimResponse {
  return answer(status, {
    itemNotFound: { code: status, message: 'Simulated: the resource could not be found.' },
  });
}

/** A Keystone body whose code is the service's string code instead of the status. */
export function keystoneStringCodeResponse(service: SimService, status: number): SimResponse {
  return answer(status, {
    error: {
      code: `${SERVICE_PREFIX[service]}.0101`,
      message: 'Simulated: the request was refused.',
      title: KEYSTONE_TITLES[status] ?? 'Error',
    },
  });
}
