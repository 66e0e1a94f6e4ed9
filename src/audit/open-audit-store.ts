import type { Config } from '../config/schema.ts';
import { AuditStoreError, type AuditStore } from './audit-store.ts';
import { openSqliteAuditStore } from './sqlite-audit-store.ts';

export interface OpenAuditStoreOptions {
  /** The CLIs read without changing anything. */
  readonly readOnly?: boolean;
}

/** The configured store. Rejects with AuditStoreError when it cannot be opened. */
export function openAuditStore(
  config: Config['audit'],
  options: OpenAuditStoreOptions = {},
): Promise<AuditStore> {
  switch (config.store) {
    case 'sqlite':
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
    case 'postgres':
      // The PostgreSQL store implements AuditStore in its own module; it is wired in here.
      return Promise.reject(
        new AuditStoreError('unavailable', 'the PostgreSQL audit store is not available yet'),
      );
  }
}
