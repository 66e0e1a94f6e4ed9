// Shared parts of the audit tests: temp directories, a trail on a real SQLite file, a logger the
// test can read, sample events, and real faults (a lock held by another process, a full or
// failing filesystem, an immutable file). Every resource is released in t.after.

import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { scanStore } from '../../../src/audit/audit-reader.ts';
import type { AuditRecord } from '../../../src/audit/audit-record.ts';
import type { AuditEvent, AuditOutcome } from '../../../src/audit/audit-trail.ts';
import {
  openAuditTrail,
  type OpenAuditTrailOptions,
  type OpenedAuditTrail,
} from '../../../src/audit/open-audit-trail.ts';
import type { AuditStore } from '../../../src/audit/audit-store.ts';
import { openPostgresAuditStore } from '../../../src/audit/stores/postgres-audit-store.ts';
import { chainLockKey } from '../../../src/audit/stores/postgres-lock-key.ts';
import { openSqliteAuditStore } from '../../../src/audit/stores/sqlite-audit-store.ts';
import { parseStoredRecord } from '../../../src/audit/stored-record.ts';
import type { Config } from '../../../src/config/schema.ts';
import { createMetrics, type Metrics } from '../../../src/observability/metrics.ts';
import { ProblemError } from '../../../src/problems/problem-error.ts';
import { pgQuery } from '../../helpers/pg-query.ts';
import { eventually } from '../../helpers/wait.ts';

export const FIXTURES = new URL('../../fixtures/audit/', import.meta.url);

const cleanups = new WeakMap<TestContext, (() => unknown)[]>();

/**
 * Registers a cleanup that runs after the test, last registered first (t.after runs hooks in
 * registration order, but a trail must close before its directory goes, a mount before its
 * mount point is removed).
 */
export function defer(t: TestContext, cleanup: () => unknown): void {
  let list = cleanups.get(t);
  if (list === undefined) {
    const created: (() => unknown)[] = [];
    list = created;
    cleanups.set(t, created);
    t.after(async () => {
      for (const step of created.reverse()) await step();
    });
  }
  list.push(cleanup);
}

export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'rescind-audit-'));
  defer(t, () => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

export function auditConfig(
  dir: string,
  overrides: Partial<Omit<Config['audit'], 'checkpoints' | 'adoption'>> & {
    checkpoints?: Partial<Config['audit']['checkpoints']>;
    adoption?: Partial<Config['audit']['adoption']>;
  } = {},
): Config['audit'] {
  const { checkpoints, adoption, ...rest } = overrides;
  return {
    store: 'sqlite',
    sqlitePath: join(dir, 'audit.db'),
    sqliteWorker: true,
    instanceId: 'test-instance',
    ...rest,
    checkpoints: { intervalSeconds: 60, everyRecords: 1000, ...checkpoints },
    adoption: { leaseSeconds: 30, scanSeconds: 10, ...adoption },
  };
}

export interface LogSink {
  readonly logger: Logger;
  lines(): Record<string, unknown>[];
}

export function logSink(): LogSink {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines: () => lines };
}

export interface TestTrail {
  readonly trail: OpenedAuditTrail;
  readonly metrics: Metrics;
  readonly logs: LogSink;
}

/** A trail on a real SQLite file; fast probe so recovery tests do not wait a second. */
export async function openTestTrail(
  t: TestContext,
  config: Config['audit'],
  options: Partial<OpenAuditTrailOptions> = {},
): Promise<TestTrail> {
  const metrics = createMetrics(new Registry(), { process: false });
  const logs = logSink();
  const trail = await openAuditTrail({
    config,
    metrics,
    logger: logs.logger,
    writer: { probeIntervalMs: 50 },
    ...options,
  });
  defer(t, () => trail.close());
  return { trail, metrics, logs };
}

export function sampleEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    requestId: 'req-1',
    actor: { subject: 'alice', email: 'alice@example.test', groups: ['secops'], via: 'jwt' },
    client: { ip: '127.0.0.1' },
    operation: 'kms.revokeGrant',
    project: { alias: 'default', id: '0123456789abcdef0123456789abcdef' },
    target: {
      keyId: '0b6a9f3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
      grantId: 'a'.repeat(64),
    },
    ...overrides,
  };
}

export function sampleOutcome(overrides: Partial<AuditOutcome> = {}): AuditOutcome {
  return {
    result: 'revoked',
    status: 200,
    code: null,
    upstream: { status: 200, code: null, message: null, requestId: 'upstream-1' },
    attempts: 1,
    durationMs: 42,
    ...overrides,
  };
}

/** Records `event` as one request: its attempt, then a revoked outcome for it. */
export async function recordRequest(
  trail: Pick<OpenedAuditTrail, 'recordAttempt' | 'recordOutcome'>,
  event: AuditEvent = sampleEvent(),
): Promise<void> {
  const attempt = await trail.recordAttempt(event);
  await trail.recordOutcome(event, sampleOutcome({ attemptId: attempt.id }));
}
/** Asserts AUDIT_UNAVAILABLE and returns how long the refusal took, in ms. */
export async function refusal(promise: Promise<unknown>): Promise<number> {
  const started = performance.now();
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ProblemError, 'rejects with a ProblemError');
    assert.equal(error.code, 'AUDIT_UNAVAILABLE');
    assert.equal(error.status, 503);
    return true;
  });
  return performance.now() - started;
}

/** Polls a condition that has no event to await (readiness turning back after a probe). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000) {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Another process holding BEGIN EXCLUSIVE on the database until released. */
export async function holdLock(
  t: TestContext,
  database: string,
): Promise<{ release(): Promise<void> }> {
  const child = spawn(process.execPath, [new URL('hold-lock.ts', FIXTURES).pathname, database], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  defer(t, async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const lines = createInterface({ input: child.stdout });
  const [first] = (await once(lines, 'line')) as [string];
  assert.equal(first, 'locked');
  return {
    async release() {
      child.stdin.end('release\n');
      await exited;
    },
  };
}

/** A small tmpfs of its own (needs CAP_SYS_ADMIN, which these tests run with). */
export function mountTmpfs(t: TestContext, sizeBytes: number): string {
  const dir = join(tempDir(t), 'tmpfs');
  mkdirSync(dir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir]);
  defer(t, () => {
    // Lazy: a connection a failed test left open must not keep the mount alive.
    execFileSync('umount', ['-l', dir]);
  });
  return dir;
}

/**
 * An ext4 filesystem on a loop device that can be shut down (EXT4_IOC_SHUTDOWN): from then on
 * every read and write on it fails with EIO, as on a dying disk. `replaceWithCopy()` restores
 * service the way an operator would: the same files, on another device, at the same path.
 */
export function ext4Loop(t: TestContext): {
  readonly dir: string;
  shutdown(): void;
  replaceWithCopy(): void;
} {
  const base = tempDir(t);
  const dir = join(base, 'ext4');
  mkdirSync(dir);
  const image = join(base, 'disk.img');
  execFileSync('truncate', ['-s', '32M', image]);
  execFileSync('mkfs.ext4', ['-q', image]);
  execFileSync('mount', ['-o', 'loop', image, dir]);
  chmodSync(dir, 0o755);
  defer(t, () => {
    execFileSync('umount', ['-l', dir]);
  });
  return {
    dir,
    shutdown() {
      // EXT4_IOC_SHUTDOWN with EXT4_GOING_FLAGS_NOLOGFLUSH; Node has no ioctl, perl has.
      execFileSync('perl', [
        '-e',
        'open(my $fh, "<", $ARGV[0]) or die "open: $!"; my $arg = pack("L", 2); ioctl($fh, 0x8004587D, $arg) or die "ioctl: $!";',
        dir,
      ]);
    },
    replaceWithCopy() {
      const copy = join(base, 'copy.img');
      execFileSync('umount', ['-l', dir]);
      execFileSync('cp', [image, copy]);
      execFileSync('mount', ['-o', 'loop', copy, dir]);
    },
  };
}

/** chattr +i: even root cannot write to the files any more (a read-only volume, for real). */
export function makeImmutable(t: TestContext, paths: readonly string[]): () => void {
  execFileSync('chattr', ['+i', ...paths]);
  let undone = false;
  const undo = () => {
    if (undone) return;
    undone = true;
    execFileSync('chattr', ['-i', ...paths]);
  };
  defer(t, undo);
  return undo;
}

/** Every record of a SQLite audit file, read the way the verify CLI reads it. */
/** Every record `store` holds, parsed, in scan order. */
export async function recordsOf(store: AuditStore): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  for await (const stored of scanStore(store)) records.push(parseStoredRecord(stored));
  return records;
}

/** Every record of the PostgreSQL database at `url`, read on a read-only store of its own. */
export async function postgresRecords(url: string): Promise<AuditRecord[]> {
  const store = await openPostgresAuditStore({ url, readOnly: true });
  try {
    return await recordsOf(store);
  } finally {
    await store.close();
  }
}

export async function storedRecords(path: string): Promise<AuditRecord[]> {
  const store = openSqliteAuditStore({ path, readOnly: true });
  try {
    const records: AuditRecord[] = [];
    for await (const stored of scanStore(store)) {
      records.push(JSON.parse(stored.body) as AuditRecord);
    }
    return records;
  } finally {
    await store.close();
  }
}

/** A fault that makes writes to the audit files fail for real, and can be cleared. */
export interface WriteFault {
  /** The directory to put the audit database in. */
  readonly dir: string;
  /** How the fault is produced, for the test's diagnostics. */
  readonly how: string;
  /** What readiness says while it lasts. */
  readonly reason: RegExp;
  inject(): void;
  clear(): void;
}

let privileged: boolean | undefined;

/**
 * Whether this process may mount filesystems and set immutable flags (root with
 * CAP_SYS_ADMIN and CAP_LINUX_IMMUTABLE, as in the development container). Then the faults are
 * the real thing; otherwise they fall back to a file size limit (below), also real.
 */
export function canMountAndChattr(): boolean {
  if (privileged !== undefined) return privileged;
  const dir = mkdtempSync(join(tmpdir(), 'rescind-capability-'));
  try {
    const mountPoint = join(dir, 'mnt');
    mkdirSync(mountPoint);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint], {
      stdio: 'ignore',
    });
    execFileSync('umount', [mountPoint], { stdio: 'ignore' });
    const file = join(dir, 'file');
    writeFileSync(file, '');
    execFileSync('chattr', ['+i', file], { stdio: 'ignore' });
    execFileSync('chattr', ['-i', file], { stdio: 'ignore' });
    privileged = true;
  } catch {
    privileged = false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return privileged;
}

/**
 * RLIMIT_FSIZE of this test process lowered to one byte (prlimit, no privilege needed): every
 * write past the first byte of a regular file fails with EFBIG, which SQLite reports as an I/O
 * error. Node ignores SIGXFSZ, so the process lives on.
 */
export function fileSizeLimit(t: TestContext, dir: string): WriteFault {
  const pid = String(process.pid);
  const original = execFileSync('prlimit', [
    '--pid',
    pid,
    '--fsize',
    '--output',
    'SOFT',
    '--noheadings',
  ])
    .toString()
    .trim();
  let active = false;
  const clear = () => {
    if (!active) return;
    active = false;
    execFileSync('prlimit', ['--pid', pid, `--fsize=${original}:`]);
  };
  defer(t, clear);
  return {
    dir,
    how: 'a file size limit of one byte (RLIMIT_FSIZE)',
    reason: /I\/O error on .*audit\.db/,
    inject() {
      active = true;
      execFileSync('prlimit', ['--pid', pid, '--fsize=1:']);
    },
    clear,
  };
}

/** The disk holding the database fills up: a tmpfs of 1 MiB and a file that takes the rest. */
export function diskFull(t: TestContext): WriteFault {
  if (!canMountAndChattr()) return fileSizeLimit(t, tempDir(t));
  const dir = mountTmpfs(t, 1024 * 1024);
  const filler = join(dir, 'filler');
  return {
    dir,
    how: 'a full 1 MiB tmpfs',
    reason: /the disk holding .*audit\.db is full/,
    inject() {
      try {
        writeFileSync(filler, Buffer.alloc(2 * 1024 * 1024));
      } catch (error) {
        assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC');
      }
    },
    clear() {
      unlinkSync(filler);
    },
  };
}

/** The database, its WAL and its directory become immutable: even root cannot write. */
export function readOnly(t: TestContext): WriteFault {
  const dir = tempDir(t);
  if (!canMountAndChattr()) return fileSizeLimit(t, dir);
  let undo = () => undefined as unknown;
  return {
    dir,
    how: 'chattr +i on the database, its -wal and the directory',
    reason: /audit\.db (is read-only|cannot be used)|I\/O error on .*audit\.db/,
    inject() {
      const database = join(dir, 'audit.db');
      // Not the -shm file: SQLite maps it into memory, and an immutable mapping kills the
      // process with SIGBUS (see docs/audit-trail.md).
      undo = makeImmutable(t, [database, `${database}-wal`, dir]);
    },
    clear() {
      undo();
    },
  };
}

/**
 * Every I/O on the disk fails (ext4 shut down); cleared the way an operator restores service:
 * the same data on another device, mounted at the same path.
 */
export function ioErrors(t: TestContext): WriteFault {
  if (!canMountAndChattr()) return fileSizeLimit(t, tempDir(t));
  const disk = ext4Loop(t);
  return {
    dir: disk.dir,
    how: 'EXT4_IOC_SHUTDOWN on an ext4 loop device, then a copy of it mounted in its place',
    reason: /I\/O error on .*audit\.db|audit\.db/,
    inject: () => {
      disk.shutdown();
    },
    clear: () => {
      disk.replaceWithCopy();
    },
  };
}

export interface HangingWriter {
  /** The ids of the attempts it made durable. */
  readonly attempts: string[];
  /** Kills it with SIGKILL, as a crash would, and waits until it is gone. */
  readonly kill: () => Promise<void>;
}

/**
 * A process that opens a trail on `config`, makes `count` attempts durable, reports their ids
 * and hangs, with no outcome written; killed after the test if the test did not kill it.
 */
/**
 * A killed writer's PostgreSQL session, and the chain lock it held, end a moment after the
 * process: the server notices the closed connection on its own time. A gateway restarted by an
 * orchestrator starts seconds later; a test that reopens at once waits for that moment too.
 */
async function sessionGone(config: Config['audit']): Promise<void> {
  const url = config.postgresUrl;
  if (config.store !== 'postgres' || url === undefined) return;
  const key = chainLockKey(config.instanceId);
  await eventually(
    async () =>
      (
        await pgQuery<{ free: boolean }>(
          url,
          'SELECT pg_try_advisory_lock($1::bigint) AND pg_advisory_unlock($1::bigint) AS free',
          [key],
        )
      )[0]?.free === true,
    "the killed writer's database session to end",
    { timeoutMs: 10_000, everyMs: 20 },
  );
}

export async function startHangingWriter(
  t: TestContext,
  config: Config['audit'],
  count: number,
): Promise<HangingWriter> {
  const script = new URL('write-then-hang.ts', FIXTURES).pathname;
  const child = spawn(process.execPath, [script, JSON.stringify(config), String(count)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
      await sessionGone(config);
    }
  };
  defer(t, kill);
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  return { attempts: JSON.parse(line) as string[], kill };
}
