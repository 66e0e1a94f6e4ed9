// The simulator's keys: the accounts' permanent access keys, the temporary keys its metadata
// service hands out (each with its security token and expiry), the metadata session tokens,
// and the identity providers the ID-token exchange trusts.
import { randomBytes } from 'node:crypto';
import type {
  SimAccessKey,
  SimAccount,
  SimCredentialOptions,
  SimIdentityProvider,
  SimTemporaryKey,
} from './simulator-types.ts';

/** A fixture, printed by the demo on purpose; never a real credential. */
export const DEMO_ACCESS_KEY: SimAccessKey = {
  access: 'SIMDEMOACCESSKEY0001',
  secret: 'sim-demo-secret-key-0001',
  domain: 'rescind-demo',
};

export const DEFAULT_METADATA_KEY_LIFETIME_SECONDS = 86_400;

export interface KnownKey {
  readonly secret: string;
  readonly account: SimAccount;
  readonly kind: 'permanent' | 'temporary';
  readonly securityToken?: string;
  readonly expiresAt?: number;
}

export interface ResolvedCredentialOptions {
  readonly accessKeys: readonly SimAccessKey[];
  readonly identityProviders: readonly SimIdentityProvider[];
  readonly sessionTokens: boolean;
  readonly keyLifetimeSeconds: number;
  readonly metadataDomain: string | undefined;
}

export function resolveCredentialOptions(
  options: SimCredentialOptions | undefined,
  problems: string[],
): ResolvedCredentialOptions {
  const lifetime = options?.metadata?.keyLifetimeSeconds;
  if (lifetime !== undefined && !(Number.isFinite(lifetime) && lifetime > 0)) {
    problems.push('credentials.metadata.keyLifetimeSeconds must be a positive number');
  }
  for (const [index, key] of (options?.accessKeys ?? []).entries()) {
    if (!key.access || !key.secret || !key.domain) {
      problems.push(`credentials.accessKeys[${String(index)}] needs access, secret and domain`);
    }
  }
  for (const [index, idp] of (options?.identityProviders ?? []).entries()) {
    if (!idp.id || !idp.domain || !idp.issuer || !Array.isArray(idp.keys)) {
      problems.push(
        `credentials.identityProviders[${String(index)}] needs id, domain, issuer and keys`,
      );
    }
  }
  return {
    accessKeys: options?.accessKeys ?? [DEMO_ACCESS_KEY],
    identityProviders: options?.identityProviders ?? [],
    sessionTokens: options?.metadata?.sessionTokens ?? true,
    keyLifetimeSeconds: lifetime ?? DEFAULT_METADATA_KEY_LIFETIME_SECONDS,
    metadataDomain: options?.metadata?.domain,
  };
}

export class SimCredentials {
  readonly identityProviders: readonly SimIdentityProvider[];
  readonly sessionTokens: boolean;
  readonly #accounts: readonly SimAccount[];
  readonly #permanent = new Map<string, KnownKey>();
  readonly #temporary = new Map<string, KnownKey>();
  readonly #issued: SimTemporaryKey[] = [];
  readonly #sessions = new Set<string>();
  readonly #lifetimeMs: number;
  readonly #metadataDomain: string | undefined;
  #current: SimTemporaryKey | undefined;

  constructor(options: ResolvedCredentialOptions, accounts: readonly SimAccount[]) {
    this.#accounts = accounts;
    this.identityProviders = options.identityProviders;
    this.sessionTokens = options.sessionTokens;
    this.#lifetimeMs = options.keyLifetimeSeconds * 1000;
    this.#metadataDomain = options.metadataDomain;
    for (const key of options.accessKeys) {
      const account = this.account(key.domain);
      if (account !== undefined) {
        this.#permanent.set(key.access, { secret: key.secret, account, kind: 'permanent' });
      }
    }
  }

  account(domain: string | undefined): SimAccount | undefined {
    return domain === undefined
      ? this.#accounts[0]
      : this.#accounts.find((account) => account.domain === domain);
  }

  lookup(access: string): KnownKey | undefined {
    return this.#permanent.get(access) ?? this.#temporary.get(access);
  }

  openSession(): string {
    const token = randomBytes(24).toString('base64url');
    this.#sessions.add(token);
    return token;
  }

  hasSession(token: string): boolean {
    return this.#sessions.has(token);
  }

  /** The current temporary key, or a new one when there is none or it has expired. */
  temporaryKey(now: number): SimTemporaryKey | undefined {
    const account = this.account(this.#metadataDomain);
    if (account === undefined) return undefined;
    if (this.#current !== undefined && this.#current.expiresAt > now) return this.#current;
    const key: SimTemporaryKey = {
      access: `SIMTMP${randomBytes(7).toString('hex').toUpperCase()}`,
      secret: randomBytes(20).toString('base64url'),
      // Real security tokens are a few KB of opaque text.
      securityToken: `gQ${randomBytes(1500).toString('base64url')}`,
      expiresAt: now + this.#lifetimeMs,
    };
    this.#current = key;
    this.#issued.push(key);
    this.#temporary.set(key.access, {
      secret: key.secret,
      account,
      kind: 'temporary',
      securityToken: key.securityToken,
      expiresAt: key.expiresAt,
    });
    return key;
  }

  rotate(): void {
    this.#current = undefined;
  }

  revokeTemporary(): void {
    this.#current = undefined;
    this.#temporary.clear();
    this.#sessions.clear();
  }

  issued(): SimTemporaryKey[] {
    return this.#issued.map((key) => ({ ...key }));
  }
}
