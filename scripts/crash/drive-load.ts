// Concurrent callers of the revocation routes, recording every answer exactly as a client sees
// it (status, body) — or that it saw none because the connection died. Mostly revocations of
// every operation, with some requests the gateway refuses before any upstream call (invalid,
// denied, unauthenticated) so that the trail holds both kinds of records.

import { DEMO_RESOURCES } from '../../src/simulator/index.ts';

export interface ClientAnswer {
  readonly requestId: string;
  readonly kind: RequestKind;
  /** The HTTP status the client saw, if any arrived. */
  readonly status?: number;
  /** The parsed body, when the whole answer arrived. */
  readonly body?: Record<string, unknown>;
  /** Set when the client saw no complete answer (the gateway died, or was already dead). */
  readonly error?: string;
}

export type RequestKind = 'revoke' | 'invalid' | 'denied' | 'unauthenticated';

export interface LoadOptions {
  readonly url: string;
  readonly concurrency: number;
  /** A JWT allowed to revoke everything, and one allowed nothing. */
  readonly tokens: { readonly revoker: string; readonly nobody: string };
  readonly requestIdPrefix: string;
  readonly random: () => number;
  /** Stops issuing new requests once this resolves; requests in flight run to their end. */
  readonly stop: Promise<void>;
}

const KMS = DEMO_RESOURCES.kmsGrants[0];
const REVOCATION_PATHS = [
  `/v1/scm/certificates/${DEMO_RESOURCES.scmPrivacy[0].certId}/privacy`,
  `/v1/scm/csrs/${DEMO_RESOURCES.csrs[0].csrId}`,
  `/v1/apig/certificates/${DEMO_RESOURCES.apigCertificates[0].certificateId}`,
  `/v1/kms/keys/${KMS.keyId}/grants/${KMS.grantId}`,
  `/v1/modelarts/authorizations/${DEMO_RESOURCES.modelartsAuthorizations[0].userId}`,
  '/v1/modelarts/authorizations?allUsers=true',
];
const INVALID_PATH = `/v1/kms/keys/not-a-key-id/grants/${KMS.grantId}`;

/** Runs the load until `stop` resolves and every request in flight has ended. */
export async function driveLoad(options: LoadOptions): Promise<ClientAnswer[]> {
  const answers: ClientAnswer[] = [];
  let stopped = false;
  void options.stop.then(() => {
    stopped = true;
  });
  let next = 0;

  async function worker(): Promise<void> {
    while (!stopped) {
      const requestId = `${options.requestIdPrefix}-${next}`;
      next += 1;
      answers.push(await send(options, requestId, pickKind(options.random)));
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, () => worker()));
  return answers;
}

function pickKind(random: () => number): RequestKind {
  const roll = random();
  if (roll < 0.04) return 'invalid';
  if (roll < 0.07) return 'denied';
  if (roll < 0.09) return 'unauthenticated';
  return 'revoke';
}

/** One request, as a client that reads the whole answer. */
export async function send(
  options: Pick<LoadOptions, 'url' | 'tokens' | 'random'>,
  requestId: string,
  kind: RequestKind,
): Promise<ClientAnswer> {
  const path =
    kind === 'invalid'
      ? INVALID_PATH
      : (REVOCATION_PATHS[Math.floor(options.random() * REVOCATION_PATHS.length)] ?? '');
  const headers: Record<string, string> = { 'X-Request-Id': requestId };
  if (kind !== 'unauthenticated') {
    headers.Authorization = `Bearer ${kind === 'denied' ? options.tokens.nobody : options.tokens.revoker}`;
  }
  let status: number | undefined;
  try {
    const response = await fetch(`${options.url}${path}`, { method: 'DELETE', headers });
    status = response.status;
    const body = (await response.json()) as Record<string, unknown>;
    return { requestId, kind, status, body };
  } catch (error) {
    return {
      requestId,
      kind,
      ...(status !== undefined ? { status } : {}),
      error: describe(error),
    };
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? `${error.message} (${cause.code})` : error.message;
}
