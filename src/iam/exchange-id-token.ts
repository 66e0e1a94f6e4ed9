// oidc mode (docs/credentials.md "Workload identity"): the platform's OpenID Connect ID token
// (a Kubernetes projected service-account token) exchanged for an IAM token at
// POST {iam}/v3.0/OS-AUTH/id-token/tokens, with the identity provider in X-Idp-Id. The file is
// read again for every exchange: the platform rotates it, and a cached copy would expire.

import { readFile } from 'node:fs/promises';
import { exchangeToken, type ExchangeOutcome } from './exchange-token.ts';
import { iamFailure } from './iam-failure.ts';

export const ID_TOKEN_PATH = '/v3.0/OS-AUTH/id-token/tokens';

/** A projected token is ~1 KB; anything this large is not one. */
const MAX_ID_TOKEN_BYTES = 64 * 1024;

export interface IdTokenExchangeRequest {
  readonly endpoint: string;
  readonly idpId: string;
  readonly tokenFile: string;
  /** `{"project":{"id":…}}` or `{"domain":{…}}`. */
  readonly scope: Record<string, unknown>;
  readonly timeoutMs: number;
  readonly requestId: string;
  readonly clock: () => number;
}

/** Reads the ID-token file now; a missing or empty file is IAM being unreachable to the caller. */
export async function readIdToken(tokenFile: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(tokenFile, 'utf8');
  } catch (error) {
    throw iamFailure('unavailable', {
      detail: 'The gateway could not read its ID-token file.',
      cause: new Error(
        `ID-token file unreadable: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      ),
    });
  }
  const token = text.trim();
  if (token === '' || token.length > MAX_ID_TOKEN_BYTES || /\s/.test(token)) {
    throw iamFailure('unavailable', {
      detail: 'The gateway found no usable ID token in its ID-token file.',
      cause: new Error('ID-token file empty or malformed'),
    });
  }
  return token;
}

export async function exchangeIdToken(request: IdTokenExchangeRequest): Promise<ExchangeOutcome> {
  const idToken = await readIdToken(request.tokenFile);
  return exchangeToken({
    endpoint: request.endpoint,
    path: ID_TOKEN_PATH,
    headers: { 'X-Idp-Id': request.idpId },
    body: { auth: { id_token: { id: idToken }, scope: request.scope } },
    timeoutMs: request.timeoutMs,
    requestId: request.requestId,
    // IAM's messages may quote the ID token back; they are scrubbed of it.
    secrets: [idToken],
    clock: request.clock,
  });
}
