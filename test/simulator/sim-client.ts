// Small request builders for the simulator tests: real HTTP, with the bodies Huawei's IAM takes,
// and the checks on the two error envelopes the services answer in.
import assert from 'node:assert/strict';
import { DEMO_ACCOUNT, DEMO_AGENCY, DEMO_PROJECTS } from '../../src/simulator/index.ts';
import type { SimAccount, Simulator } from '../../src/simulator/index.ts';

export const PROJECT_ID = DEMO_PROJECTS[0]!.id;
export const OTHER_PROJECT_ID = DEMO_PROJECTS[1]!.id;
export const KEY_ID = '0d0466b0-e727-4d9c-b35d-f84bb474a37f';
export const GRANT_ID = '7c9a3286af4fcca5f0a385ad13e1d21a50e27b6dbcab50f37f30f93b8939827d';

export type Scope =
  | { project: { id: string } }
  | { project: { name: string } }
  | { domain: { name: string } }
  | { domain: { id: string } };

export const projectScope = (id: string = PROJECT_ID): Scope => ({ project: { id } });
export const domainScope = (name: string = DEMO_ACCOUNT.domain): Scope => ({ domain: { name } });

/** The body of an IAM password token request for `account` (the demo account by default). */
export function passwordBody(
  scope: Scope,
  account: Pick<SimAccount, 'domain' | 'user' | 'password'> = DEMO_ACCOUNT,
): { auth: Record<string, unknown> } {
  return {
    auth: {
      identity: {
        methods: ['password'],
        password: {
          user: {
            name: account.user,
            password: account.password,
            domain: { name: account.domain },
          },
        },
      },
      scope,
    },
  };
}

/** {@link passwordBody} as the JSON text a request sends. */
export function passwordAuth(
  scope: Scope,
  account: Pick<SimAccount, 'domain' | 'user' | 'password'> = DEMO_ACCOUNT,
): string {
  return JSON.stringify(passwordBody(scope, account));
}

export function assumeRoleAuth(scope: Scope, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    auth: {
      identity: {
        methods: ['assume_role'],
        assume_role: { domain_name: DEMO_AGENCY.domain, agency_name: DEMO_AGENCY.name, ...extra },
      },
      scope,
    },
  });
}

export function postTokens(
  sim: Simulator,
  body: string,
  headers: Record<string, string> = {},
  query = '?nocatalog=true',
): Promise<Response> {
  return fetch(`${sim.url}/v3/auth/tokens${query}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body,
  });
}

/** A token for the demo account with the given scope (project by default). */
export async function token(sim: Simulator, scope: Scope = projectScope()): Promise<string> {
  const res = await postTokens(sim, passwordAuth(scope));
  if (res.status !== 201)
    throw new Error(`token request answered ${res.status}: ${await res.text()}`);
  const value = res.headers.get('x-subject-token');
  if (value === null) throw new Error('no X-Subject-Token');
  return value;
}

/** The five revocation calls, as the gateway will send them. */
export const call = {
  scmPrivacy: (sim: Simulator, tok: string | undefined, certId: string, projectId = PROJECT_ID) =>
    fetch(`${sim.url}/v2/${projectId}/scm/privacy-protection/${certId}`, {
      method: 'DELETE',
      headers: auth(tok),
    }),
  csr: (sim: Simulator, tok: string | undefined, csrId: string) =>
    fetch(`${sim.url}/v3/scm/csr/${csrId}`, { method: 'DELETE', headers: auth(tok) }),
  apig: (sim: Simulator, tok: string | undefined, certificateId: string, projectId = PROJECT_ID) =>
    fetch(`${sim.url}/v2/${projectId}/apigw/certificates/${certificateId}`, {
      method: 'DELETE',
      headers: auth(tok),
    }),
  kms: (sim: Simulator, tok: string | undefined, body: unknown, projectId = PROJECT_ID) =>
    fetch(`${sim.url}/v1.0/${projectId}/kms/revoke-grant`, {
      method: 'POST',
      headers: { ...auth(tok), 'Content-Type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  modelarts: (
    sim: Simulator,
    tok: string | undefined,
    userId: string | undefined,
    projectId = PROJECT_ID,
  ) =>
    fetch(
      `${sim.url}/v2/${projectId}/authorizations${userId === undefined ? '' : `?user_id=${encodeURIComponent(userId)}`}`,
      {
        method: 'DELETE',
        headers: auth(tok),
      },
    ),
};

function auth(tok: string | undefined): Record<string, string> {
  return tok === undefined ? {} : { 'X-Auth-Token': tok };
}

export async function jsonOf(res: Response): Promise<unknown> {
  return JSON.parse(await res.text()) as unknown;
}

/** The revoke-grant body for the demo KMS grant. */
export const KMS_BODY = { key_id: KEY_ID, grant_id: GRANT_ID };

/** The flat error envelope of IAM, SCM, APIG and ModelArts. */
export interface FlatError {
  error_code: string;
  error_msg: string;
  request_id: string;
}

/** KMS's nested error envelope. */
export interface NestedError {
  error: { error_code: string; error_msg: string };
}

/** The body of a flat error answer. */
export async function flatBody(res: Response): Promise<FlatError> {
  return (await jsonOf(res)) as FlatError;
}

function assertCode(actual: string, expected: string | RegExp): void {
  if (typeof expected === 'string') assert.equal(actual, expected);
  else assert.match(actual, expected);
}

/** Asserts a flat error answer's status and error code; returns its body. */
export async function expectFlat(
  res: Response,
  status: number,
  code: string | RegExp,
): Promise<FlatError> {
  assert.equal(res.status, status);
  const body = await flatBody(res);
  assertCode(body.error_code, code);
  return body;
}

/** Asserts a nested (KMS) error answer's status and error code. */
export async function expectNested(
  res: Response,
  status: number,
  code: string | RegExp,
): Promise<void> {
  assert.equal(res.status, status);
  assertCode(((await jsonOf(res)) as NestedError).error.error_code, code);
}
