import { createHash } from 'node:crypto';

/**
 * A PostgreSQL advisory lock key (bigint, as text) for a name in Rescind's namespace: the first
 * 64 bits of SHA-256, so two chains' keys collide with probability 2^-64, not the 2^-32 of
 * `hashtext`.
 */
export function advisoryLockKey(name: string): string {
  return createHash('sha256').update(`rescind-audit:${name}`).digest().readBigInt64BE(0).toString();
}
