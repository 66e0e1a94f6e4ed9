// Real PostgreSQL and Redis servers for the tests, on 127.0.0.1, in throwaway directories,
// stopped by PID. CI starts one of each for the whole run (`node scripts/test-servers.ts start`,
// which exports RESCIND_TEST_POSTGRES_URL and RESCIND_TEST_REDIS_URL); when those are not set —
// `npm test` on a workstation — each test file that needs a server starts its own here, so the
// suite needs nothing but the Debian packages (`apt-get install postgresql redis-server`) or the
// servers on PATH (test/helpers/server-binaries.ts). A server that cannot be started fails the
// tests that need it at once, with what to install: nothing is skipped, and nothing waits.
//
// Servers this process starts die with it even when it is killed (setpriv --pdeathsig), and
// PostgreSQL, which refuses to run as root, runs as the `postgres` user when the tests run as
// root.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { findPostgresBin, findRedisServer } from './server-binaries.ts';

export const POSTGRES_URL_VARIABLE = 'RESCIND_TEST_POSTGRES_URL';
export const REDIS_URL_VARIABLE = 'RESCIND_TEST_REDIS_URL';
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const POSTGRES_USER = 'rescind';

export interface ServerProcessOptions {
  /**
   * Keep running after this process exits (the CI script starts servers and exits); by default
   * a server dies with the process that started it.
   */
  readonly detached?: boolean;
}

export interface PostgresServerOptions extends ServerProcessOptions {
  /** Extra `-c name=value` settings, e.g. `{ fsync: 'off' }` to test the durability check. */
  readonly settings?: Readonly<Record<string, string>>;
}

/** A server process of the tests' own, in a directory of its own. */
interface ServerProcess {
  readonly port: number;
  readonly dir: string;
  /** The server's PID while it runs. */
  pid(): number | undefined;
  /** Graceful shutdown, waiting for the server to exit; the data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data (after stop). */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
}

export interface PostgresServer extends ServerProcess {
  readonly user: string;
  readonly password: string;
  /** postgres://rescind:PASSWORD@127.0.0.1:PORT/DATABASE */
  url(database?: string): string;
  /**
   * Immediate shutdown, what `pg_ctl stop -m immediate` does (SIGQUIT: no checkpoint, every
   * connection cut), waiting for the postmaster to exit; the next start runs crash recovery.
   * Followed by `start()` it is `pg_ctl restart -m immediate`.
   */
  crash(): Promise<void>;
  /** Every process of the server: the postmaster and its children (backends, workers). */
  processes(): number[];
}

export interface RedisServer extends ServerProcess {
  /** redis://127.0.0.1:PORT/DATABASE */
  url(database?: number): string;
}

/**
 * A fresh copy of an initdb'd cluster (made once per machine and PostgreSQL version, then copied:
 * initdb takes a second or two, a copy milliseconds), started on a free loopback port.
 */
export async function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const bin = findPostgresBin();
  const owner = postgresOwner();
  const template = postgresTemplate(bin, owner);
  sweepAbandoned();
  const dir = mkdtempSync(join(tmpdir(), 'rescind-pg-'));
  const data = join(dir, 'data');
  if (owner !== null) chownSync(dir, owner.uid, owner.gid);
  execFileSync('cp', ['-a', join(template, 'data'), data]);
  const password = readFileSync(join(template, 'password'), 'utf8').trim();

  const port = await freePort();
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    max_connections: '300',
    shared_buffers: '32MB',
    fsync: 'on',
    synchronous_commit: 'on',
    ...options.settings,
  };
  const args = [
    '-D',
    data,
    '-p',
    String(port),
    ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
  ];
  const logFile = join(dir, 'postgres.log');
  const url = (database = 'postgres') =>
    `postgres://${POSTGRES_USER}:${password}@127.0.0.1:${port}/${database}`;

  const server = await superviseServer({
    what: 'PostgreSQL',
    dir,
    logFile,
    // SIGINT is PostgreSQL's fast shutdown.
    stopSignal: 'SIGINT',
    port,
    spawn: () =>
      spawnServer(owner, join(bin, 'postgres'), args, logFile, options.detached ?? false),
    ready: () => postgresAnswers(url()),
  });
  return {
    ...server,
    user: POSTGRES_USER,
    password,
    url,
    crash: () => server.halt('SIGQUIT'),
    processes() {
      const postmaster = server.pid();
      return postmaster === undefined ? [] : [postmaster, ...childrenOf(postmaster)];
    },
  };
}

async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** redis-server on a free loopback port, no persistence, in a fresh directory. */
export async function startRedis(options: ServerProcessOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'rescind-redis-'));
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--dir',
    dir,
  ];
  const logFile = join(dir, 'redis.log');
  const server = await superviseServer({
    what: 'Redis',
    dir,
    logFile,
    stopSignal: 'SIGTERM',
    port,
    spawn: () => spawnServer(null, findRedisServer(), args, logFile, options.detached ?? false),
    ready: () => redisAnswers(port),
  });
  return { ...server, url: (database = 0) => `redis://127.0.0.1:${port}/${database}` };
}

interface ServerSpec {
  /** The server's name, for errors. */
  readonly what: string;
  readonly dir: string;
  readonly logFile: string;
  readonly port: number;
  readonly stopSignal: NodeJS.Signals;
  readonly spawn: () => ServerChild;
  /** Whether the server answers yet. */
  readonly ready: () => Promise<boolean>;
}

interface SupervisedServer extends ServerProcess {
  /** Signals the running server and waits until it has exited. */
  halt(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Starts the server, waiting until it answers; when it cannot be started, its directory is
 * removed and the failure thrown.
 */
async function superviseServer(spec: ServerSpec): Promise<SupervisedServer> {
  let child: ServerChild | null = null;
  const halt = async (signal: NodeJS.Signals) => {
    const running = child;
    child = null;
    if (running !== null) await stopProcess(running.pid, signal, running.exited);
  };
  const start = async () => {
    child = spec.spawn();
    await waitUntil(child, spec.ready, () => tail(spec.logFile), spec.what);
  };
  const stop = () => halt(spec.stopSignal);
  const close = async () => {
    await stop();
    rmSync(spec.dir, { recursive: true, force: true });
  };
  try {
    await start();
  } catch (error) {
    await close();
    throw error;
  }
  return { port: spec.port, dir: spec.dir, pid: () => child?.pid, start, stop, halt, close };
}

/**
 * An initdb'd data directory (superuser `rescind`, a random password, scram on TCP) shared by
 * every server this machine starts for tests; created once, atomically (rename), by whichever
 * process needs it first.
 */
function postgresTemplate(bin: string, owner: Owner | null): string {
  // One template per PostgreSQL build (found on PATH or under /usr/lib/postgresql/<version>).
  const build = createHash('sha256')
    .update(realpathSync(join(bin, 'postgres')))
    .digest('hex')
    .slice(0, 12);
  const template = join(tmpdir(), `rescind-pg-template-${build}-${process.getuid?.() ?? 0}`);
  if (existsSync(join(template, 'password'))) return template;
  const building = mkdtempSync(join(tmpdir(), 'rescind-pg-template-'));
  const password = randomBytes(12).toString('hex');
  const passwordFile = join(building, 'password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (owner !== null) {
    chownSync(building, owner.uid, owner.gid);
    chownSync(passwordFile, owner.uid, owner.gid);
  }
  try {
    execFileSync(
      ...asOwner(owner, join(bin, 'initdb'), [
        '-D',
        join(building, 'data'),
        '-U',
        POSTGRES_USER,
        `--pwfile=${passwordFile}`,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
        '--no-sync',
      ]),
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    renameSync(building, template);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    // Another process made it first: use theirs.
    if (existsSync(join(template, 'password'))) return template;
    throw new Error(`initdb failed: ${stderrOf(error)}`, { cause: error });
  }
  return template;
}

/**
 * Removes the directories of servers whose test process died without cleaning up (its servers
 * died with it): no postmaster runs there, and nothing changed for ten minutes.
 */
function sweepAbandoned(): void {
  const now = Date.now();
  for (const entry of readdirSync(tmpdir())) {
    if (!/^rescind-pg-[A-Za-z0-9]{6}$/.test(entry)) continue;
    const dir = join(tmpdir(), entry);
    try {
      if (now - statSync(dir).mtimeMs < 10 * 60_000) continue;
      const pidFile = join(dir, 'data', 'postmaster.pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
      if (pid > 0 && alive(pid)) continue;
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Another process is sweeping or using it.
    }
  }
}

export interface TestPostgres {
  /** The server's maintenance database, as its superuser. */
  readonly adminUrl: string;
  /** A new, empty database of this test file's own (dropped at close). */
  createDatabase(): Promise<string>;
  /** Drops the databases; stops the server if this process started it. */
  close(): Promise<void>;
}

/**
 * The run's PostgreSQL server ($RESCIND_TEST_POSTGRES_URL), or one started for this process.
 * Test files run in parallel: each works in databases of its own (createDatabase).
 */
export async function usePostgres(): Promise<TestPostgres> {
  const shared = process.env[POSTGRES_URL_VARIABLE];
  const own = shared === undefined || shared === '' ? await startPostgres() : null;
  const adminUrl = own === null ? (shared ?? '') : own.url();
  const created: string[] = [];
  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  return {
    adminUrl,
    async createDatabase() {
      const name = `rescind_test_${randomBytes(6).toString('hex')}`;
      await admin((client) => client.query(`CREATE DATABASE ${name}`));
      created.push(name);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async close() {
      if (own !== null) {
        await own.close();
        return;
      }
      if (created.length === 0) return;
      await admin(async (client) => {
        for (const name of created) {
          await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        }
      });
    },
  };
}

export interface TestRedis {
  /** The run's Redis (or this process's own); keys of different tests must not collide. */
  readonly url: string;
  close(): Promise<void>;
}

/** The run's Redis ($RESCIND_TEST_REDIS_URL), or one started for this process. */
export async function useRedis(): Promise<TestRedis> {
  const shared = process.env[REDIS_URL_VARIABLE];
  if (shared !== undefined && shared !== '') return { url: shared, close: () => Promise.resolve() };
  const own = await startRedis();
  return { url: own.url(), close: () => own.close() };
}

export interface TestServers {
  readonly postgres: TestPostgres;
  readonly redis: TestRedis;
}

/** The run's PostgreSQL and Redis, started side by side (see bothOrNeither). */
export async function usePostgresAndRedis(): Promise<TestServers> {
  const [postgres, redis] = await bothOrNeither(usePostgres(), useRedis());
  return { postgres, redis };
}

/**
 * Both servers, or neither: when one cannot be had, the other is closed before the failure is
 * thrown, so the caller ends at once with the helper's message instead of waiting on a server
 * nobody will stop (Promise.all would leave it running).
 */
export async function bothOrNeither<A extends Closable, B extends Closable>(
  first: Promise<A>,
  second: Promise<B>,
): Promise<[A, B]> {
  const [a, b] = await Promise.allSettled([first, second]);
  if (a.status === 'fulfilled' && b.status === 'fulfilled') return [a.value, b.value];
  const results: PromiseSettledResult<Closable>[] = [a, b];
  await Promise.all(
    results.map((result) =>
      result.status === 'fulfilled'
        ? result.value.close().catch(() => undefined)
        : Promise.resolve(),
    ),
  );
  const failures = results.flatMap((result) =>
    result.status === 'rejected' ? [result.reason as unknown] : [],
  );
  throw failures.length === 1
    ? failures[0]
    : new AggregateError(failures, failures.map((error) => String(error)).join('\n'));
}

interface Closable {
  close(): Promise<void>;
}

// --- processes ---

interface ServerChild {
  readonly pid: number;
  /** Resolves when the process has exited (for a detached child: never observed, polled). */
  readonly exited: Promise<void> | null;
  readonly child: ChildProcess;
}

interface Owner {
  readonly uid: number;
  readonly gid: number;
}

/** The user PostgreSQL runs as: `postgres` when we are root (it refuses root), else ourselves. */
function postgresOwner(): Owner | null {
  if (process.getuid?.() !== 0) return null;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch (error) {
    throw new Error(
      'PostgreSQL refuses to run as root and there is no `postgres` user: install the postgresql package (it creates one) or run the tests as another user',
      { cause: error },
    );
  }
}

/** The command line that runs `file` as the owner (setpriv), optionally dying with us. */
function asOwner(
  owner: Owner | null,
  file: string,
  args: readonly string[],
  pdeathsig?: string,
): [string, string[]] {
  const privileges =
    owner === null ? [] : [`--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--init-groups'];
  const death = pdeathsig === undefined ? [] : ['--pdeathsig', pdeathsig];
  if (privileges.length === 0 && death.length === 0) return [file, [...args]];
  return ['setpriv', [...death, ...privileges, file, ...args]];
}

function spawnServer(
  owner: Owner | null,
  file: string,
  args: readonly string[],
  logFile: string,
  detached: boolean,
): ServerChild {
  const log = openSync(logFile, 'a');
  if (owner !== null) chownSync(logFile, owner.uid, owner.gid);
  // setpriv execs the server, so the PID is the server's own. SIGINT is PostgreSQL's fast
  // shutdown and ends Redis as well.
  const [command, commandArgs] = asOwner(owner, file, args, detached ? undefined : 'INT');
  const child = spawn(command, commandArgs, { stdio: ['ignore', log, log], detached });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`cannot start ${file}`);
  child.on('error', () => undefined);
  const exited = once(child, 'exit').then(() => undefined);
  // A server never keeps the test process alive: a test that fails before closing it still lets
  // the process end, and the server dies with it (--pdeathsig) unless detached.
  child.unref();
  return { pid: child.pid, exited, child };
}

async function waitUntil(
  server: ServerChild,
  ready: () => Promise<boolean>,
  log: () => string,
  what: string,
): Promise<void> {
  const deadline = performance.now() + START_TIMEOUT_MS;
  const state = { exited: false };
  void server.exited?.then(() => {
    state.exited = true;
  });
  while (performance.now() < deadline) {
    if (state.exited || !alive(server.pid)) {
      throw new Error(`${what} exited while starting:\n${log()}`);
    }
    if (await ready()) return;
    await sleep(50);
  }
  throw new Error(`${what} did not start within ${START_TIMEOUT_MS} ms:\n${log()}`);
}

/** Signals the PID and waits until it is gone; SIGKILL if it takes too long. */
export async function stopProcess(
  pid: number,
  signal: NodeJS.Signals,
  exited: Promise<void> | null = null,
): Promise<void> {
  if (!alive(pid)) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = performance.now() + STOP_TIMEOUT_MS;
  const state = { done: false };
  void exited?.then(() => {
    state.done = true;
  });
  while (!state.done && alive(pid)) {
    if (performance.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
      break;
    }
    await sleep(20);
  }
  await exited;
}

/** Whether the PID is a live process (a zombie nobody reaped yet is not). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function childrenOf(parent: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === parent) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

async function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => {
      done(false);
    });
    socket.on('error', () => {
      done(false);
    });
    socket.on('connect', () => {
      socket.write('PING\r\n');
    });
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('utf8');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

function stderrOf(error: unknown): string {
  const stderr = (error as { stderr?: Buffer }).stderr;
  return stderr === undefined ? String(error) : stderr.toString('utf8').trim();
}
