// The gateway in a child process of its own, configured by RESCIND_* variables: from its
// TypeScript source (`node src/main.ts`, the default: no build needed), or as it ships
// (`scripts/start.sh`, which runs the bundle in dist/ with the sidecar's heap flags). The one way the tests, the benchmarks (bench/) and the crash
// scripts start it: it lives here, under scripts/, because bench/ and test/ may both import
// from scripts/lib/ (docs/adding-an-operation.md "The test layout"). The chosen port is
// read from the JSON log line "rescind listening on …".

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { delimiter, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GATEWAY_MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
export const START_SCRIPT = fileURLToPath(new URL('../start.sh', import.meta.url));
const START_TIMEOUT_MS = 20_000;
const LISTENING = /^rescind listening on (http:\/\/\S+)$/;
const live = new Set<ChildProcess>();

export interface GatewayExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface GatewayProcessOptions {
  /** The whole environment of the process (PATH is added when missing). */
  readonly env: Record<string, string>;
  /** Its stdout and stderr go to this file (read for the listening line) instead of a pipe. */
  readonly logFile?: string;
  /** RESCIND_INSTANCE_ID, for a fleet of them (default: what `env` says). */
  readonly instanceId?: string;
  /** Extra node flags, e.g. ['--cpu-prof'] (with `shipped`, passed in NODE_OPTIONS). */
  readonly nodeFlags?: readonly string[];
  /** The entry point; default src/main.ts. */
  readonly main?: string;
  /**
   * Start it as it ships: `sh scripts/start.sh` (dist/ must be built: scripts/build.ts), which
   * execs Node, so the pid is still the gateway's. `main` is then ignored.
   */
  readonly shipped?: boolean;
}

export interface GatewayProcess {
  /** Its RESCIND_INSTANCE_ID ('' when unset). */
  readonly id: string;
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** ms from spawn until it logged that it listens (0 when RESCIND_PORT fixed the port). */
  readonly listenMs: number;
  readonly exited: Promise<GatewayExit>;
  running(): boolean;
  /** Everything it wrote so far, stdout lines and stderr ('' when it logs to a file). */
  output(): string;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Every JSON line of its log so far, parsed. */
  logs(): readonly Record<string, unknown>[];
  /** The first log line, written or still to come, that `match` accepts; rejects if it exits first. */
  waitForLog(match: (entry: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Sends `signal` (default SIGKILL) unless it has exited; resolves once it has. */
  kill(signal?: NodeJS.Signals): Promise<GatewayExit>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Kills every gateway process still running (the caller was interrupted, or a test ends). */
export function killLiveGateways(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** The environment without any RESCIND_* variable of the caller's own. */
export function cleanEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        !entry[0].startsWith('RESCIND_') && entry[1] !== undefined,
    ),
  );
}

/** Starts the gateway and resolves once it listens (crash recovery has run by then). */
export async function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const started = performance.now();
  const child = spawnGateway(options);
  live.add(child);
  // 'close', not 'exit': by then every line it wrote has been read.
  const exited = once(child, 'close').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  void exited.finally(() => live.delete(child));
  const output = collectOutput(child);
  const running = () => child.exitCode === null && child.signalCode === null;
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (running()) child.kill(signal);
    return exited;
  };
  let url: string;
  try {
    url = await listeningUrl(options, output, exited);
  } catch (error) {
    await kill();
    throw error;
  }
  const fixedPort = options.env.RESCIND_PORT !== undefined && options.env.RESCIND_PORT !== '0';
  return {
    id: options.instanceId ?? options.env.RESCIND_INSTANCE_ID ?? '',
    url,
    pid: child.pid ?? -1,
    child,
    listenMs: fixedPort ? 0 : performance.now() - started,
    exited,
    running,
    output: () => output.all.join(''),
    stderr: () => output.stderr.join(''),
    logs: () => output.entries,
    waitForLog: (match) => waitForEntry(output, match, exited),
    kill,
    async stop(graceMs = 5000) {
      if (!running()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

function spawnGateway(options: GatewayProcessOptions): ChildProcess {
  const { command, args, env } = commandOf(options);
  if (options.logFile === undefined) {
    return spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  }
  writeFileSync(options.logFile, '');
  const fd = openSync(options.logFile, 'a');
  try {
    return spawn(command, args, { env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
}

/** `node [flags] src/main.ts`, or the start script with this process's Node first on PATH. */
function commandOf(options: GatewayProcessOptions) {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...options.env,
    ...(options.instanceId === undefined ? {} : { RESCIND_INSTANCE_ID: options.instanceId }),
  };
  const flags = options.nodeFlags ?? [];
  if (options.shipped !== true) {
    return { command: process.execPath, args: [...flags, options.main ?? GATEWAY_MAIN], env };
  }
  env.PATH = `${dirname(process.execPath)}${delimiter}${env.PATH ?? ''}`;
  if (flags.length > 0) env.NODE_OPTIONS = [env.NODE_OPTIONS ?? '', ...flags].join(' ').trim();
  return { command: 'sh', args: [START_SCRIPT], env };
}

interface Output {
  readonly all: string[];
  readonly stderr: string[];
  readonly entries: Record<string, unknown>[];
  /** Called with each parsed stdout line. */
  readonly listeners: Set<(entry: Record<string, unknown>) => void>;
}

/** Keeps what a piped child writes; the reading never stops, so the pipe never fills. */
function collectOutput(child: ChildProcess): Output {
  const output: Output = { all: [], stderr: [], entries: [], listeners: new Set() };
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output.all.push(chunk);
    output.stderr.push(chunk);
  });
  if (child.stdout !== null) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.all.push(`${line}\n`);
      const entry = parseLine(line);
      if (entry === null) return;
      output.entries.push(entry);
      for (const listener of output.listeners) listener(entry);
    });
  }
  return output;
}

/** The URL the gateway listens on: from RESCIND_PORT when fixed, else from its log. */
async function listeningUrl(
  options: GatewayProcessOptions,
  output: Output,
  exited: Promise<GatewayExit>,
): Promise<string> {
  const port = options.env.RESCIND_PORT;
  if (port !== undefined && port !== '0') return `http://127.0.0.1:${port}`;
  const gone = exited.then(({ code, signal }) => {
    const what = options.logFile === undefined ? output.all.join('') : tail(options.logFile);
    throw new Error(
      `the gateway exited before listening (code ${code}, signal ${signal}): ${what.trim()}`,
    );
  });
  const found =
    options.logFile === undefined ? fromEntries(output) : fromLogFile(options.logFile, exited);
  const timeout = sleep(START_TIMEOUT_MS, undefined, { ref: false }).then(() => {
    throw new Error(`the gateway did not listen within ${START_TIMEOUT_MS} ms`);
  });
  return Promise.race([found, gone, timeout]);
}

async function fromEntries(output: Output): Promise<string> {
  const listening = await waitForEntry(output, (entry) => LISTENING.test(String(entry.msg)));
  return LISTENING.exec(String(listening.msg))?.[1] ?? '';
}

function waitForEntry(
  output: Output,
  match: (entry: Record<string, unknown>) => boolean,
  exited?: Promise<GatewayExit>,
): Promise<Record<string, unknown>> {
  const seen = output.entries.find(match);
  if (seen !== undefined) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const listener = (entry: Record<string, unknown>) => {
      if (!match(entry)) return;
      output.listeners.delete(listener);
      resolve(entry);
    };
    output.listeners.add(listener);
    void exited?.then(() => {
      output.listeners.delete(listener);
      reject(new Error(`the gateway exited first; stderr: ${output.stderr.join('')}`));
    });
  });
}

async function fromLogFile(file: string, exited: Promise<GatewayExit>): Promise<string> {
  const state = { gone: false };
  void exited.then(() => {
    state.gone = true;
  });
  let scanned = 0;
  while (!state.gone) {
    const text = readFileSync(file, 'utf8');
    const match = /"msg":"rescind listening on (http:\/\/[^"\s]+)"/.exec(text.slice(scanned));
    if (match?.[1] !== undefined) return match[1];
    scanned = Math.max(0, text.lastIndexOf('\n'));
    await sleep(2);
  }
  return new Promise<string>(() => undefined);
}

/** The last 2,000 characters of a file ('' when it cannot be read). */
export function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

function parseLine(line: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
