// Audit files are for the gateway's own user only, whatever the umask it was started with: a
// permissive umask (0000 in some containers) would otherwise leave the trail world-readable
// (it names every caller and target) and, worse, world-writable. The SQLite directory is 0700
// when the gateway creates it; the database, its WAL and SHM files and the checkpoints file are
// 0600, and a file found looser is tightened when the store opens it.

import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  mkdirSync,
  openSync,
  statSync,
} from 'node:fs';

export const OWNER_ONLY_DIRECTORY_MODE = 0o700;
export const OWNER_ONLY_FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) owner-only; an existing directory is left as it is. */
export function makeOwnerOnlyDirectory(dir: string): void {
  const created = mkdirSync(dir, { recursive: true, mode: OWNER_ONLY_DIRECTORY_MODE });
  // mkdir's mode passes through the umask, which can only take bits away; chmod makes it exact.
  if (created !== undefined) chmodSync(dir, OWNER_ONLY_DIRECTORY_MODE);
}

/**
 * Creates `path` empty and owner-only if it does not exist, before SQLite does (SQLite creates
 * files 0644 minus the umask, and gives the WAL and SHM files the database file's mode). An
 * existing file is not touched here; one that cannot be created is left to SQLite's own open,
 * which names the problem (read-only, permission denied, disk full) the way the store reports it.
 */
export function createOwnerOnlyFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(
      path,
      constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY,
      OWNER_ONLY_FILE_MODE,
    );
  } catch {
    return;
  }
  try {
    tightenDescriptor(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes each of `paths` that exists 0600 if group or others had any access. A file of another
 * user cannot be changed (EPERM) and is left as it is: the store still works with it.
 */
export function tightenToOwner(paths: readonly string[]): void {
  for (const path of paths) {
    const stats = statSync(path, { throwIfNoEntry: false });
    if (stats === undefined || (stats.mode & 0o077) === 0) continue;
    try {
      chmodSync(path, OWNER_ONLY_FILE_MODE);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
    }
  }
}

/** The same for an open file. */
export function tightenDescriptor(fd: number): void {
  const { mode } = fstatSync(fd);
  if ((mode & 0o077) === 0) return;
  try {
    fchmodSync(fd, OWNER_ONLY_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
  }
}
