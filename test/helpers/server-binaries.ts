// Where the tests find PostgreSQL and Redis: the directory or file a variable names, else the
// first match on PATH, else Debian's paths. A server that is nowhere is an error at once, with the
// package to install and the variable to set; nothing waits for it.

import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const POSTGRES_BIN_VARIABLE = 'RESCIND_TEST_POSTGRES_BIN';
export const REDIS_BIN_VARIABLE = 'RESCIND_TEST_REDIS_BIN';

type Env = Readonly<Record<string, string | undefined>>;

export const POSTGRES_MISSING = `PostgreSQL is not installed: apt-get install -y postgresql (or put initdb and postgres on PATH, or set ${POSTGRES_BIN_VARIABLE} to the directory holding them)`;
export const REDIS_MISSING = `Redis is not installed: apt-get install -y redis-server (or put redis-server on PATH, or set ${REDIS_BIN_VARIABLE} to it or its directory)`;

/** Where Debian installs each PostgreSQL major version: /usr/lib/postgresql/<version>/bin. */
const DEBIAN_POSTGRES_ROOT = '/usr/lib/postgresql';
const DEBIAN_REDIS_SERVERS = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'];

/** The directory holding `initdb` and `postgres`. */
export function findPostgresBin(env: Env = process.env, debianRoot = DEBIAN_POSTGRES_ROOT): string {
  const configured = env[POSTGRES_BIN_VARIABLE];
  if (configured !== undefined && configured !== '') {
    if (hasPostgres(configured)) return configured;
    throw new Error(
      `${POSTGRES_BIN_VARIABLE}=${configured} holds no initdb and postgres. ${POSTGRES_MISSING}`,
    );
  }
  const onPath = pathDirs(env).find(hasPostgres);
  if (onPath !== undefined) return onPath;
  const versions = existsSync(debianRoot)
    ? readdirSync(debianRoot)
        .filter((version) => hasPostgres(join(debianRoot, version, 'bin')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) throw new Error(POSTGRES_MISSING);
  return join(debianRoot, newest, 'bin');
}

/** The `redis-server` executable. */
export function findRedisServer(
  env: Env = process.env,
  debianPaths: readonly string[] = DEBIAN_REDIS_SERVERS,
): string {
  const configured = env[REDIS_BIN_VARIABLE];
  if (configured !== undefined && configured !== '') {
    const file = isDirectory(configured) ? join(configured, 'redis-server') : configured;
    if (isExecutable(file)) return file;
    throw new Error(`${REDIS_BIN_VARIABLE}=${configured} is no redis-server. ${REDIS_MISSING}`);
  }
  const candidates = [...pathDirs(env).map((dir) => join(dir, 'redis-server')), ...debianPaths];
  const found = candidates.find(isExecutable);
  if (found === undefined) throw new Error(REDIS_MISSING);
  return found;
}

function hasPostgres(dir: string): boolean {
  return isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'postgres'));
}

function pathDirs(env: Env): string[] {
  return (env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
