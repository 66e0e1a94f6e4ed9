import type { Config } from '../../config/schema.ts';
import { AuditStoreError, type AuditStore } from '../audit-store.ts';
import { openSqliteAuditStore } from './sqlite-audit-store.ts';
import { openSqliteWorkerStore } from './sqlite-worker-store.ts';

export interface OpenAuditStoreOptions {
  /** The CLIs read without changing anything. */
  readonly readOnly?: boolean;
  /**
   * The chain this process will write. A PostgreSQL store claims it for as long as it is open,
   * so a second process with the same instance id is refused instead of forking the chain.
   */
  readonly chain?: string;
}

/** The configured store. Rejects with AuditStoreError when it cannot be opened. */
export function openAuditStore(
  config: Config['audit'],
  options: OpenAuditStoreOptions = {},
): Promise<AuditStore> {
  switch (config.store) {
    case 'sqlite':
      // The gateway writes from a worker thread (its commits would stall the event loop); the
      // CLIs only read, synchronously, on their own thread.
      if (config.sqliteWorker && options.readOnly !== true) {
        return openSqliteWorkerStore({ path: config.sqlitePath });
      }
      try {
        return Promise.resolve(
          openSqliteAuditStore({
            path: config.sqlitePath,
            ...(options.readOnly !== undefined ? { readOnly: options.readOnly } : {}),
          }),
        );
      } catch (error) {
        return Promise.reject(
          error instanceof AuditStoreError
            ? error
            : new AuditStoreError('unavailable', 'the SQLite audit store cannot be opened', {
                cause: error,
              }),
        );
      }
    case 'postgres': {
      // The schema refines this: store 'postgres' requires a URL.
      const postgresUrl = config.postgresUrl;
      if (postgresUrl === undefined) {
        return Promise.reject(
          new AuditStoreError(
            'unavailable',
            'audit.postgresUrl is required for the postgres store',
          ),
        );
      }
      // Loaded only for this store: `pg` costs every SQLite gateway memory and start-up time.
      return import('./postgres-audit-store.ts').then(({ openPostgresAuditStore }) =>
        openPostgresAuditStore({
          url: postgresUrl,
          ...(options.readOnly !== undefined ? { readOnly: options.readOnly } : {}),
          ...(options.chain !== undefined ? { chain: options.chain } : {}),
          leaseSeconds: config.adoption.leaseSeconds,
        }),
      );
    }
  }
}
