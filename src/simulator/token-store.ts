// Tokens IAM has issued. A token is an opaque ~9 KB string, as Huawei's PKI tokens are, so the
// gateway meets the real header size; the simulator only ever looks it up whole.
import { randomBytes } from 'node:crypto';

export type IssuedScope =
  | { kind: 'project'; projectId: string; projectName: string }
  | { kind: 'domain'; domain: string; domainId: string };

export interface IssuedUser {
  id: string;
  name: string;
  domain: { id: string; name: string };
}

export interface TokenRecord {
  /** The token string; call records reuse this instance instead of keeping 9 KB per call. */
  token: string;
  method: 'password' | 'assume_role' | 'id_token' | 'signature';
  user: IssuedUser;
  /** For assume_role tokens: the account that assumed the agency. */
  assumedBy?: IssuedUser;
  scope: IssuedScope;
  issuedAt: number;
  expiresAt: number;
}

// Keystone PKI tokens are base64 of DER, which starts with 0x30 0x82 → "MII". The rest only has
// to look the part: base64url characters, so the token is header-safe.
const PREFIX = 'MII';

export class TokenStore {
  readonly #tokens = new Map<string, TokenRecord>();
  readonly #sizeBytes: number;
  #issued = 0;

  constructor(sizeBytes: number) {
    this.#sizeBytes = sizeBytes;
  }

  issue(fields: Omit<TokenRecord, 'token'>): TokenRecord {
    const body = this.#sizeBytes - PREFIX.length;
    const token =
      PREFIX +
      randomBytes(Math.ceil((body * 3) / 4))
        .toString('base64url')
        .slice(0, body);
    const record: TokenRecord = { token, ...fields };
    this.#tokens.set(token, record);
    this.#issued += 1;
    return record;
  }

  /** Revoked and never-issued tokens are both unknown; expired ones are still found. */
  lookup(token: string): TokenRecord | undefined {
    return this.#tokens.get(token);
  }

  /** As after a password change: every token issued so far stops working. */
  revokeAll(): void {
    this.#tokens.clear();
  }

  get issued(): number {
    return this.#issued;
  }
}

/** Keystone's timestamp shape: UTC with exactly six fractional digits, e.g. 2020-01-04T09:05:22.701000Z. */
export function formatKeystoneTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}
