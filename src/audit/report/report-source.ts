// Where a report reads the trail from: the configured store (as audit:verify reads it, with its
// checkpoints file, stored checkpoints and the configured key's public half) or an NDJSON export.

import { createPublicKey, type KeyObject } from 'node:crypto';
import { statSync } from 'node:fs';
import type { Config } from '../../config/schema.ts';
import { scanStore } from '../audit-reader.ts';
import type { AuditRecord } from '../audit-record.ts';
import type { AuditStore } from '../audit-store.ts';
import { CheckpointFileError, readCheckpoints, type Checkpoint } from '../chain/checkpoint.ts';
import { parseSigningKey } from '../chain/checkpoint-key.ts';
import { openAuditStore } from '../stores/open-audit-store.ts';
import { readNdjson } from '../cli/read-ndjson.ts';
import { parseStoredRecord, recordForVerification } from '../stored-record.ts';
import type { ReportPeriod } from './report-data.ts';

export interface ReportSource {
  /** The store's location or the file's path. */
  readonly label: string;
  /** The store, for a progress line that knows its size; absent for a file. */
  readonly store?: AuditStore;
  /** The file, for a progress line that knows its size; absent for a store. */
  readonly file?: string;
  /** Every record, as audit:verify checks them. */
  verifiable(): AsyncIterable<unknown>;
  /** The records of the period in (chain, seq) order, in the shape the API serves. */
  inPeriod(period: ReportPeriod): AsyncIterable<AuditRecord>;
  /** The record stored at a chain position, if any. */
  recordAt(chain: string, seq: number): Promise<AuditRecord | undefined>;
  readonly checkpoints?: readonly Checkpoint[];
  readonly publicKeys?: readonly KeyObject[];
  /** The checkpoints file holds a line that is not a checkpoint: damage, as for audit:verify. */
  readonly checkpointsDamage?: string;
  close(): Promise<void>;
}

/** The configured store, opened read-only. Throws when it or its checkpoints cannot be read. */
export async function openConfiguredReportSource(audit: Config['audit']): Promise<ReportSource> {
  const checkpointsPath =
    audit.checkpoints.path ??
    (audit.store === 'sqlite' ? `${audit.sqlitePath}.checkpoints` : undefined);
  let fileCheckpoints: Checkpoint[] = [];
  let checkpointsDamage: string | undefined;
  if (
    checkpointsPath !== undefined &&
    statSync(checkpointsPath, { throwIfNoEntry: false }) !== undefined
  ) {
    try {
      fileCheckpoints = readCheckpoints(checkpointsPath);
    } catch (error) {
      if (!(error instanceof CheckpointFileError)) throw error;
      checkpointsDamage = error.message;
    }
  }
  const store = await openAuditStore(audit, { readOnly: true });
  let stored: readonly Checkpoint[];
  try {
    stored = (await store.checkpoints?.()) ?? [];
  } catch (error) {
    await store.close();
    throw error;
  }
  const checkpoints = [...stored, ...fileCheckpoints];
  const key = audit.checkpoints.signingKey;
  return storeReportSource(store, {
    checkpoints,
    ...(checkpointsDamage !== undefined ? { checkpointsDamage } : {}),
    ...(key !== undefined && checkpoints.length > 0
      ? { publicKeys: [createPublicKey(parseSigningKey(key))] }
      : {}),
  });
}

export function storeReportSource(
  store: AuditStore,
  extras: Pick<ReportSource, 'checkpoints' | 'publicKeys' | 'checkpointsDamage'> = {},
): ReportSource {
  return {
    label: store.location,
    store,
    ...extras,
    async *verifiable() {
      for await (const stored of scanStore(store)) yield recordForVerification(stored);
    },
    async *inPeriod(period) {
      for await (const stored of scanStore(store, period)) {
        const record = readable(() => parseStoredRecord(stored));
        if (record !== undefined) yield record;
      }
    },
    async recordAt(chain, seq) {
      const [stored] = await store.query({ chain, after: { chain, seq: seq - 1 }, limit: 1 });
      return stored?.seq === seq ? readable(() => parseStoredRecord(stored)) : undefined;
    },
    close: () => store.close(),
  };
}

/** An NDJSON export (npm run audit:export). The file must exist. */
export function fileReportSource(path: string): ReportSource {
  return {
    label: path,
    file: path,
    verifiable: () => readNdjson(path),
    async *inPeriod(period) {
      for await (const value of readNdjson(path)) {
        const record = asRecord(value);
        if (record !== undefined && inPeriod(record.time, period)) yield record;
      }
    },
    async recordAt(chain, seq) {
      for await (const value of readNdjson(path)) {
        const record = asRecord(value);
        if (record?.chain === chain && record.seq === seq) return record;
      }
      return undefined;
    },
    close: () => Promise.resolve(),
  };
}

function inPeriod(time: string, period: ReportPeriod): boolean {
  return (
    (period.since === undefined || time >= period.since) &&
    (period.until === undefined || time < period.until)
  );
}

function readable(parse: () => unknown): AuditRecord | undefined {
  try {
    return asRecord(parse());
  } catch {
    return undefined;
  }
}

/**
 * A value with the fields the report reads, else undefined (a damaged line: audit:verify's part
 * to report). Missing nested objects are filled with nulls, never invented values.
 */
export function asRecord(value: unknown): AuditRecord | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Partial<AuditRecord>;
  if (
    typeof record.chain !== 'string' ||
    typeof record.seq !== 'number' ||
    typeof record.time !== 'string' ||
    typeof record.operation !== 'string'
  ) {
    return undefined;
  }
  return {
    ...(record as AuditRecord),
    actor: { subject: null, email: null, groups: [], via: null, ...record.actor },
    project: { alias: null, id: null, ...record.project },
    requestId: typeof record.requestId === 'string' ? record.requestId : '',
  };
}
