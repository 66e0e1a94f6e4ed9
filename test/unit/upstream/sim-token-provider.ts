// A small, real TokenProvider for the revoker's tests: it exchanges the demo account's password
// at the simulator's IAM (the gateway's own provider is tested elsewhere) and counts exchanges,
// so tests can assert "exactly one re-exchange".
import {
  tokenScopeKey,
  type IamToken,
  type TokenProvider,
  type TokenScope,
} from '../../../src/iam/token-provider.ts';
import { ProblemError } from '../../../src/problems/problem-error.ts';
import { domainScope, passwordAuth, projectScope } from '../../simulator/sim-client.ts';

export interface SimTokenProvider extends TokenProvider {
  /** Password exchanges made at the simulator's IAM. */
  exchanges(): number;
  /** Tokens handed out, in order (a cached one counts each time). */
  readonly handedOut: string[];
}

export function createSimTokenProvider(iamUrl: string): SimTokenProvider {
  const cache = new Map<string, IamToken>();
  const handedOut: string[] = [];
  let exchanges = 0;

  async function exchange(scope: TokenScope): Promise<IamToken> {
    exchanges += 1;
    const response = await fetch(`${iamUrl}/v3/auth/tokens?nocatalog=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: passwordAuth(scope.kind === 'project' ? projectScope(scope.projectId) : domainScope()),
    });
    const value = response.headers.get('x-subject-token');
    const body = (await response.json()) as { token?: { expires_at?: string } };
    if (response.status !== 201 || value === null) {
      throw new ProblemError('UPSTREAM_AUTH_FAILED', {
        detail: 'IAM rejected the test credentials.',
        upstream: { service: 'iam', status: response.status },
      });
    }
    return { value, expiresAt: Date.parse(body.token?.expires_at ?? '') };
  }

  return {
    async getToken(scope) {
      const key = tokenScopeKey(scope);
      const token = cache.get(key) ?? (await exchange(scope));
      cache.set(key, token);
      handedOut.push(token.value);
      return token;
    },
    invalidate(scope, token) {
      const key = tokenScopeKey(scope);
      if (cache.get(key)?.value === token) cache.delete(key);
    },
    exchanges: () => exchanges,
    handedOut,
  };
}
