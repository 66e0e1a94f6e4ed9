// What counts as a usable subject, email and group, whichever mode vouched for them. The values
// end up in logs, audit records and rate-limit keys, so control characters are never accepted.

import { hasControlCharacters } from '../text/scrub-text.ts';

const MAX_SUBJECT_LENGTH = 256;
const MAX_EMAIL_LENGTH = 320;
const MAX_GROUP_LENGTH = 256;

function usableString(value: unknown, maxLength: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (value.length === 0 || value.length > maxLength || value.trim() !== value) return undefined;
  return hasControlCharacters(value) ? undefined : value;
}

/** The subject exactly as vouched for, or undefined when it is not a usable name. */
export function readSubject(value: unknown): string | undefined {
  return usableString(value, MAX_SUBJECT_LENGTH);
}

/** An email is informative only (never a privilege): anything unusable is dropped. */
export function readEmail(value: unknown): string | undefined {
  return usableString(value, MAX_EMAIL_LENGTH);
}

/**
 * Groups from a JWT claim. Groups grant privileges, so nothing is guessed:
 * - an array keeps its usable string entries and ignores every other entry;
 * - a single string is exactly one group of that name (never split on commas or spaces);
 * - anything else (absent, number, object, null) is no groups.
 * Duplicates are dropped; order is kept.
 */
export function readGroupsClaim(value: unknown): string[] {
  const entries: unknown[] = Array.isArray(value) ? value : [value];
  const groups = new Set<string>();
  for (const entry of entries) {
    const group = usableString(entry, MAX_GROUP_LENGTH);
    if (group !== undefined) groups.add(group);
  }
  return [...groups];
}

/** Groups from a comma-separated header (`X-Forwarded-Groups: a,b`), blanks trimmed. */
export function readGroupsHeader(value: string | undefined): string[] {
  if (value === undefined) return [];
  return readGroupsClaim(value.split(',').map((group) => group.trim()));
}
