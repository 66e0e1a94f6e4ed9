// Graceful drain (docs/api.md "Operating endpoints"), against the real process: `node src/main.ts` started with its
// configuration in the environment, signalled as Kubernetes would signal it; and what the
// process leaves behind at start-up (the module compile cache).

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { generateCheckpointKey } from '../../src/audit/checkpoint-key.ts';
import { readCheckpoints } from '../../src/audit/checkpoint.ts';
import { createDevIssuer, type DevIssuer } from '../../src/identity/dev-issuer.ts';
import { DEMO_PROJECTS, startSimulator, type Simulator } from '../../src/simulator/index.ts';
import { AUDIENCE, gatewayEnv, ISSUER } from '../helpers/gateway.ts';

const PROJECT = DEMO_PROJECTS[0]?.id ?? '';
const KEY_ID = '0d0466b0-e727-4d9c-b35d-f84bb474a37f';
const grantId = (n: number) => n.toString(16).padStart(64, 'a');

type LogLine = Record<string, unknown> & { msg?: string };

interface GatewayProcess {
  readonly url: string;
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  /** Resolves with the first line (already written or still to come) that matches. */
  waitForLine(match: (line: LogLine) => boolean): Promise<LogLine>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

let sim: Simulator;
let issuer: DevIssuer;
const dirs: string[] = [];
const children: ChildProcess[] = [];

before(async () => {
  sim = await startSimulator();
  issuer = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
});

after(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await sim.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory holding the config file, the JWKS, the checkpoint key and the audit DB. */
function prepare(config: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'rescind-drain-'));
  dirs.push(dir);
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(issuer.jwks));
  const keyFile = join(dir, 'checkpoint-key.pem');
  writeFileSync(keyFile, generateCheckpointKey().privateKeyPem);
  const configFile = join(dir, 'config.yaml');
  writeFileSync(
    configFile,
    stringify({
      authorization: { rules: [{ groups: ['secops'], allow: ['*'] }] },
      audit: { instanceId: 'drain' },
      ...config,
    }),
  );
  const auditPath = join(dir, 'audit.db');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...gatewayEnv(configFile, sim, jwksFile),
    RESCIND_LOG_LEVEL: 'info',
    RESCIND_AUDIT_SQLITE_PATH: auditPath,
    RESCIND_AUDIT_CHECKPOINT_KEY_FILE: keyFile,
  };
  return { env, auditPath };
}

async function startProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['src/main.ts'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: LogLine[] = [];
  const waiters = new Set<{ match: (line: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
  const closed = new Promise<void>((resolve) => {
    child.once('close', () => {
      resolve();
    });
  });
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as LogLine;
    lines.push(line);
    for (const waiter of waiters) {
      if (waiter.match(line)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  });
  const waitForLine = (match: (line: LogLine) => boolean) => {
    const seen = lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      waiters.add({ match, resolve });
      void closed.then(() => {
        reject(new Error(`the gateway exited first; stderr: ${stderr}`));
      });
    });
  };
  const listening = await waitForLine(
    (line) => line.msg?.startsWith('rescind listening on') === true,
  );
  return {
    url: `http://127.0.0.1:${String(listening.port)}`,
    child,
    lines,
    waitForLine,
    // Every line is read once the process is gone: stdout is closed after exit.
    exited: Promise.all([exited, closed]).then(([code]) => code),
  };
}

function revokeGrant(gateway: GatewayProcess, token: string, n: number, requestId: string) {
  return fetch(`${gateway.url}/v1/kms/keys/${KEY_ID}/grants/${grantId(n)}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}`, 'x-request-id': requestId },
  });
}

/** The error code of a fresh TCP connection to the gateway, or 'connected'. */
function connectError(url: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code ?? 'error');
    });
  });
}

/** How a request ended, caught at once so that a cut connection is not an unhandled rejection. */
function settle(answer: Promise<Response>): Promise<Response | Error> {
  return answer.catch((error: unknown) =>
    error instanceof Error ? error : new Error(String(error)),
  );
}

/** Resolves once the simulator has received `count` KMS calls (the requests are in flight). */
async function kmsCallsArrived(count: number): Promise<void> {
  while (sim.calls({ service: 'kms' }).length < count) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function auditRows(path: string) {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db
      .prepare('SELECT seq, request_id AS requestId, phase, result FROM audit_records ORDER BY seq')
      .all() as { seq: number; requestId: string; phase: string; result: string | null }[];
  } finally {
    db.close();
  }
}

describe('graceful drain of the gateway process', () => {
  it('on SIGTERM refuses new connections, finishes in-flight revocations with their audit outcomes, writes a final checkpoint and exits 0', async () => {
    sim.clearCalls();
    sim.clearFaults();
    for (const n of [1, 2]) sim.addKmsGrant(PROJECT, KEY_ID, grantId(n));
    const { env, auditPath } = prepare({});
    const gateway = await startProcess(env);
    const token = await issuer.sign({ sub: 'alice', groups: ['secops'] });
    sim.injectFault({ service: 'kms', kind: 'delay', delayMs: 2500, count: 2 });
    const probe = await fetch(`${gateway.url}/healthz`);
    assert.equal(probe.status, 200);

    const inFlight = [
      revokeGrant(gateway, token, 1, 'drain-req-1'),
      revokeGrant(gateway, token, 2, 'drain-req-2'),
    ];
    await kmsCallsArrived(2);
    gateway.child.kill('SIGTERM');
    const draining = await gateway.waitForLine((line) => line.msg?.startsWith('draining') === true);
    assert.equal(draining.inFlight, 2, 'both revocations were in flight');

    assert.equal(await connectError(gateway.url), 'ECONNREFUSED', 'new connections are refused');
    const answers = await Promise.all(inFlight);
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [200, 200],
    );
    const bodies = (await Promise.all(answers.map((answer) => answer.json()))) as {
      result: string;
      auditId: string;
    }[];
    assert.deepEqual(
      bodies.map((body) => body.result),
      ['revoked', 'revoked'],
    );
    assert.equal(await gateway.exited, 0);
    assert.ok(
      gateway.lines.some((line) => line.msg === 'drained'),
      'the last line is written',
    );

    const rows = auditRows(auditPath);
    for (const requestId of ['drain-req-1', 'drain-req-2']) {
      const outcome = rows.find((row) => row.requestId === requestId && row.phase === 'outcome');
      assert.equal(outcome?.result, 'revoked', `${requestId} has its outcome record`);
    }
    assert.equal(sim.has('kmsGrant', PROJECT, KEY_ID, grantId(1)), false);
    const head = rows[rows.length - 1]?.seq;
    const checkpoints = readCheckpoints(`${auditPath}.checkpoints`);
    assert.equal(
      checkpoints[checkpoints.length - 1]?.seq,
      head,
      'the final checkpoint covers the head',
    );
  });

  it('exits when the grace period runs out, leaving the cut-off attempt to the next start, which recovers it', async () => {
    sim.clearCalls();
    sim.clearFaults();
    const { env, auditPath } = prepare({
      server: { shutdownGraceSeconds: 1 },
      upstream: { attemptTimeoutMs: 120_000, deadlineMs: 300_000 },
    });
    const gateway = await startProcess(env);
    const token = await issuer.sign({ sub: 'alice', groups: ['secops'] });
    sim.injectFault({ service: 'kms', kind: 'hang' });

    const cutOff = settle(revokeGrant(gateway, token, 3, 'drain-cut-off'));
    await kmsCallsArrived(1);
    gateway.child.kill('SIGTERM');
    // The cloud never answers: only the grace period can end this process.
    assert.equal(await gateway.exited, 1);
    assert.ok((await cutOff) instanceof Error, 'the caller loses its connection');
    assert.ok(
      gateway.lines.some((line) => line.msg?.startsWith('grace period over') === true),
      'the log says why',
    );
    const rows = auditRows(auditPath).filter((row) => row.requestId === 'drain-cut-off');
    assert.deepEqual(
      rows.map((row) => row.phase),
      ['attempt'],
    );

    const restarted = await startProcess({ ...env, RESCIND_LOG_LEVEL: 'debug' });
    const readiness = (await (await fetch(`${restarted.url}/readyz`)).json()) as {
      checks: { name: string; detail?: string }[];
    };
    assert.match(
      readiness.checks.find((check) => check.name === 'audit-recovery')?.detail ?? '',
      /1 dangling attempt/,
    );
    const metrics = await (await fetch(`${restarted.url}/metrics`)).text();
    assert.match(metrics, /^rescind_audit_dangling_attempts_recovered_total 1$/m);
    await restarted.waitForLine(
      (line) => line.level === 'debug' && line.msg === 'request' && line.path === '/metrics',
    );
    restarted.child.kill('SIGTERM');
    assert.equal(await restarted.exited, 0);
    const closed = auditRows(auditPath).filter((row) => row.requestId === 'drain-cut-off');
    assert.deepEqual(
      closed.map((row) => [row.phase, row.result]),
      [
        ['attempt', null],
        ['outcome', 'unknown'],
      ],
    );
  });

  it('exits at once on a second signal', async () => {
    sim.clearCalls();
    sim.clearFaults();
    const { env } = prepare({
      server: { shutdownGraceSeconds: 300 },
      upstream: { attemptTimeoutMs: 120_000, deadlineMs: 300_000 },
    });
    const gateway = await startProcess(env);
    const token = await issuer.sign({ sub: 'alice', groups: ['secops'] });
    sim.injectFault({ service: 'kms', kind: 'hang' });

    const stuck = settle(revokeGrant(gateway, token, 4, 'drain-stuck'));
    await kmsCallsArrived(1);
    gateway.child.kill('SIGTERM');
    await gateway.waitForLine((line) => line.msg?.startsWith('draining') === true);
    gateway.child.kill('SIGTERM');
    assert.equal(await gateway.exited, 1);
    assert.ok(gateway.lines.some((line) => line.msg === 'second signal: exiting at once'));
    assert.ok((await stuck) instanceof Error, 'the stuck caller loses its connection');
  });
});

describe('start-up of the gateway process', () => {
  /** Starts and stops the process with its temporary directory in a fresh place. */
  async function startAndStop(extraEnv: Record<string, string>): Promise<string> {
    const tmp = mkdtempSync(join(tmpdir(), 'rescind-tmp-'));
    dirs.push(tmp);
    const { env } = prepare({});
    const gateway = await startProcess({ ...env, TMPDIR: tmp, ...extraEnv });
    gateway.child.kill('SIGTERM');
    assert.equal(await gateway.exited, 0);
    return join(tmp, 'node-compile-cache');
  }

  it('keeps the compiled modules in a compile cache under the temporary directory, for the next start', async () => {
    const cache = await startAndStop({});
    // One directory per Node version, holding the code cache of every module it compiled.
    const versions = readdirSync(cache);
    assert.equal(versions.length, 1);
    const entries = readdirSync(join(cache, versions[0] ?? ''));
    assert.ok(entries.length > 0, 'the cache holds compiled code');
  });

  it('writes no compile cache when NODE_DISABLE_COMPILE_CACHE is set', async () => {
    const cache = await startAndStop({ NODE_DISABLE_COMPILE_CACHE: '1' });
    assert.equal(existsSync(cache), false);
  });
});
