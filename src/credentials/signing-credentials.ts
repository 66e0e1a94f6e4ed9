// access-key and metadata modes (docs/credentials.md): every upstream call signed with the
// current key of a key source — a permanent access key, or the metadata service's temporary
// keys. No IAM call at all.

import type { CredentialMode } from '../config/credentials-schema.ts';
import type { SigningKey } from './sign-request.ts';
import { signUpstreamRequest } from './sign-upstream-request.ts';
import type { UpstreamCredentials } from './upstream-credentials.ts';

export interface KeyLookup {
  readonly deadline: number;
  readonly useUntil: number;
  readonly requestId: string;
}

export interface KeySource {
  /** A key valid until at least `lookup.useUntil`; throws ProblemError when there is none. */
  current(lookup: KeyLookup): Promise<SigningKey>;
  /** The cloud refused `key`: drop it if it is still the current one. */
  invalidate(key: SigningKey): void;
}

export interface SigningCredentialsOptions {
  readonly mode: CredentialMode;
  readonly keys: KeySource;
  readonly domainId: string;
  readonly clock: () => number;
}

export function createSigningCredentials(options: SigningCredentialsOptions): UpstreamCredentials {
  const { keys, domainId, clock } = options;
  return {
    mode: options.mode,
    async authorize(call) {
      const key = await keys.current({
        deadline: call.deadline,
        useUntil: call.useUntil,
        requestId: call.requestId,
      });
      const request = signUpstreamRequest(call.request, key, {
        target: call.target,
        scope: call.scope,
        domainId,
        time: clock(),
      });
      return {
        request,
        quotable: key.securityToken ?? '',
        invalidate: () => {
          keys.invalidate(key);
        },
      };
    },
  };
}

/** A permanent access key: nothing to refresh, so a refusal changes nothing. */
export function staticKeySource(key: SigningKey): KeySource {
  return {
    current: () => Promise.resolve(key),
    invalidate: () => undefined,
  };
}
