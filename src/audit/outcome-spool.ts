// The outcome spool: outcome records the store would not take before the process stopped (or
// more than the writer keeps in memory), saved as NDJSON in a small owner-only file beside the
// store and written into the trail at the next start. A request refused before any attempt
// record was written — a flood while the database was gone — is then still audited after a
// restart (docs/audit-trail.md "Outcome spool").

import {
  chmodSync,
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import type { AuditRecordContent } from './audit-record.ts';
import { AUDIT_RECORD_CONTENT_SCHEMA } from './audit-record-schema.ts';

export interface OutcomeSpool {
  readonly path: string;
  /** Appends the outcomes durably (fsync); throws when the file cannot be written. */
  save(outcomes: readonly AuditRecordContent[]): void;
  /** The outcomes spooled so far, oldest first; lines that are not an outcome are skipped. */
  read(): { readonly outcomes: AuditRecordContent[]; readonly unreadable: number };
  /** Removes the file once its outcomes are in the trail. */
  clear(): void;
}

export function createOutcomeSpool(path: string): OutcomeSpool {
  return {
    path,
    save(outcomes) {
      if (outcomes.length === 0) return;
      const fd = openSync(path, 'a', 0o600);
      try {
        // Owner-only whatever the umask, and whoever created the file first.
        chmodSync(path, 0o600);
        writeSync(fd, outcomes.map((outcome) => `${JSON.stringify(outcome)}\n`).join(''));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },
    read() {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT')
          return { outcomes: [], unreadable: 0 };
        throw error;
      }
      const outcomes: AuditRecordContent[] = [];
      let unreadable = 0;
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        const outcome = parseOutcome(line);
        if (outcome === null) unreadable += 1;
        else outcomes.push(outcome);
      }
      return { outcomes, unreadable };
    },
    clear() {
      rmSync(path, { force: true });
    },
  };
}

/** A spooled line, if it is an outcome record's content (a crash may cut the last line short). */
function parseOutcome(line: string): AuditRecordContent | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  const parsed = AUDIT_RECORD_CONTENT_SCHEMA.safeParse(value);
  if (!parsed.success) return null;
  const content: AuditRecordContent = parsed.data;
  return content.phase === 'outcome' && content.outcome !== undefined ? content : null;
}
