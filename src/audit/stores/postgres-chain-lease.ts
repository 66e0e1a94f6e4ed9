// The owner lease of a chain in the PostgreSQL store (docs/audit-trail.md "Chains whose
// instance never comes back"). A chain's writer holds two things while it lives:
//
// - the chain's session advisory lock (postgres-audit-store.ts claims it at open), which the
//   server frees the moment the writer's session ends: at once when its process is killed (the
//   kernel closes its sockets), and within about the lease time when its machine went silent,
//   because every session of the writer asks the server for TCP keepalives that give up then;
// - a row in `audit_chain_leases`, renewed at every adoption scan (well within the lease time).
//
// A chain is adopted only when both lapsed: its lock is free and its row has not changed for a
// whole lease time as watched by the adopter. The lock alone would not do: a database restart or
// failover frees every lock at once, and a live writer takes its lock back only when its probe
// next runs. A live writer keeps renewing its row, so it is never adopted.

import type { ClientBase } from 'pg';
import { chainLockKey } from './postgres-lock-key.ts';

const KEEPALIVE_PROBES = 3;

/**
 * libpq `options` for every session of a writer: the server probes a silent peer after half the
 * lease, then every sixth, and drops the session after three unanswered probes (or data left
 * unacknowledged for the lease time), so that the chain lock of a dead machine is freed within
 * about the lease time instead of the kernel's default two hours. Sessions over a Unix socket
 * ignore them; a process that dies there closes its socket at once anyway.
 */
export function leaseSessionOptions(leaseSeconds: number): string {
  const idle = Math.max(1, Math.floor(leaseSeconds / 2));
  const interval = Math.max(1, Math.floor((leaseSeconds - idle) / KEEPALIVE_PROBES));
  return [
    `-c tcp_keepalives_idle=${idle}`,
    `-c tcp_keepalives_interval=${interval}`,
    `-c tcp_keepalives_count=${KEEPALIVE_PROBES}`,
    `-c tcp_user_timeout=${leaseSeconds * 1000}`,
  ].join(' ');
}

/** The writer's sign of life: its row's `renewed_at` becomes the server's clock now. */
export async function renewChainLease(client: ClientBase, chain: string): Promise<void> {
  await client.query(
    `INSERT INTO audit_chain_leases (chain, renewed_at) VALUES ($1, clock_timestamp())
     ON CONFLICT (chain) DO UPDATE SET renewed_at = excluded.renewed_at`,
    [chain],
  );
}

export interface LeaseObservation {
  readonly chain: string;
  /** The row's `renewed_at` as text, or null when the chain's writer never renewed a lease. */
  readonly renewal: string | null;
}

/** Every other chain with attempts still open, and its last renewal. */
export async function chainsWithOpenAttempts(
  client: ClientBase,
  except: string,
): Promise<LeaseObservation[]> {
  const { rows } = await client.query<{ chain: string; renewal: string | null }>(
    `SELECT o.chain, l.renewed_at::text AS renewal
     FROM (SELECT DISTINCT chain FROM audit_open_attempts WHERE chain <> $1) o
     LEFT JOIN audit_chain_leases l ON l.chain = o.chain
     ORDER BY o.chain`,
    [except],
  );
  return rows.map((row) => ({ chain: row.chain, renewal: row.renewal }));
}

/**
 * Takes the chain's lock on this session if nobody holds it: false while its writer (or another
 * adopter) is alive and holds it.
 */
export async function tryTakeChainLock(client: ClientBase, chain: string): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>(
    'SELECT pg_try_advisory_lock($1::bigint) AS locked',
    [chainLockKey(chain)],
  );
  return rows[0]?.locked === true;
}

export async function releaseChainLock(client: ClientBase, chain: string): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1::bigint)', [chainLockKey(chain)]);
}

/**
 * Which chains' leases lapsed, as one adopter sees them over successive scans: a chain is due
 * once its renewal stayed the same for `leaseMs` of this adopter's continuous watch. A scan that
 * failed breaks the watch (`forget`): what it missed may have been renewals.
 */
export interface LeaseWatch {
  /** Records one scan's observations (at monotonic time `now`, ms) and returns the chains due. */
  observe(observations: readonly LeaseObservation[], now: number): string[];
  forget(): void;
}

export function createLeaseWatch(leaseMs: number): LeaseWatch {
  const seen = new Map<string, { renewal: string | null; since: number }>();
  return {
    observe(observations, now) {
      const due: string[] = [];
      const current = new Set<string>();
      for (const { chain, renewal } of observations) {
        current.add(chain);
        const last = seen.get(chain);
        if (last === undefined || last.renewal !== renewal) {
          seen.set(chain, { renewal, since: now });
        } else if (now - last.since >= leaseMs) {
          due.push(chain);
        }
      }
      for (const chain of seen.keys()) if (!current.has(chain)) seen.delete(chain);
      return due;
    },
    forget() {
      seen.clear();
    },
  };
}
