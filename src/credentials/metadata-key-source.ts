// The metadata service's temporary key, kept and renewed (docs/credentials.md "Metadata keys"):
// fetched again when less than 40 minutes remain, or half its lifetime for a short-lived key (as
// the SDKs do), one fetch in flight at a time, and never handed out for a call that would
// outlive it.

import { isTokenUsable } from '../iam/token-cache.ts';
import { ProblemError } from '../problems/problem-error.ts';
import type { MetadataClient, TemporaryKey } from './fetch-security-key.ts';
import type { KeySource } from './signing-credentials.ts';

export interface MetadataKeySourceOptions {
  readonly client: MetadataClient;
  /** Renew this long before expiry (capped per key at half its lifetime). */
  readonly marginMs: number;
  readonly clock: () => number;
  /** Told of every key fetched (for the log and metrics; never the key itself). */
  readonly onFetched?: (result: 'success' | 'failure', expiresAt?: number) => void;
}

interface Held {
  readonly key: TemporaryKey;
  readonly fetchedAt: number;
}

export function createMetadataKeySource(options: MetadataKeySourceOptions): KeySource {
  const { client, marginMs, clock } = options;
  let held: Held | undefined;
  let flight: Promise<Held> | undefined;

  const fetchOnce = (): Promise<Held> => {
    flight ??= (async () => {
      const fetchedAt = clock();
      try {
        const key = await client.fetchKey();
        held = { key, fetchedAt };
        options.onFetched?.('success', key.expiresAt);
        return held;
      } catch (error) {
        options.onFetched?.('failure');
        throw error;
      } finally {
        flight = undefined;
      }
    })();
    return flight;
  };

  const usable = (candidate: Held | undefined, useUntil: number): candidate is Held =>
    candidate !== undefined &&
    isTokenUsable(
      { value: '', expiresAt: candidate.key.expiresAt, issuedAt: candidate.fetchedAt },
      clock(),
      useUntil,
      marginMs,
    );

  return {
    async current(lookup) {
      if (usable(held, lookup.useUntil)) return held.key;
      const fresh = await withDeadline(fetchOnce(), lookup.deadline, clock);
      // A fresh key is used however short-lived, but never once expired.
      if (fresh.key.expiresAt <= clock()) {
        throw new ProblemError('UPSTREAM_UNAVAILABLE', {
          detail: 'The metadata service handed out a key that has already expired.',
          upstream: { service: 'metadata' },
          retryAfter: 2,
        });
      }
      return fresh.key;
    },
    invalidate(key) {
      if (held?.key.accessKey === key.accessKey) held = undefined;
    },
  };
}

async function withDeadline<T>(work: Promise<T>, deadline: number, clock: () => number) {
  const remaining = deadline - clock();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => {
        reject(
          new ProblemError('UPSTREAM_UNAVAILABLE', {
            detail: "The metadata service did not hand out a key before the request's deadline.",
            upstream: { service: 'metadata' },
            retryAfter: 2,
          }),
        );
      },
      Math.max(0, remaining),
    );
  });
  // The fetch goes on for others if this caller gives up; its failure is theirs.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
