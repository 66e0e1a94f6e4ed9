import { createHash } from 'node:crypto';

/**
 * A PostgreSQL advisory lock key (bigint, as text) for a name in Rescind's namespace: the first
 * 64 bits of SHA-256, so two chains' keys collide with probability 2^-64, not the 2^-32 of
 * `hashtext`.
 */
export function advisoryLockKey(name: string): string {
  return createHash('sha256').update(`rescind-audit:${name}`).digest().readBigInt64BE(0).toString();
}

/**
 * The lock a chain's writer holds for as long as its store is open, and that an instance adopting
 * the chain of a dead writer takes while it closes that chain's open attempts.
 */
export function chainLockKey(chain: string): string {
  return advisoryLockKey(`chain:${chain}`);
}
