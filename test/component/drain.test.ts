// Graceful drain (docs/api.md "Operating endpoints"), against the real process: `node src/main.ts` started with its
// configuration in the environment, signalled as Kubernetes would signal it; and what the
// process leaves behind at start-up (the module compile cache).

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { generateCheckpointKey } from '../../src/audit/chain/checkpoint-key.ts';
import { readCheckpoints } from '../../src/audit/chain/checkpoint.ts';
import { createDevIssuer, type DevIssuer } from '../../src/demo/dev-issuer.ts';
import { DEMO_PROJECTS, startSimulator, type Simulator } from '../../src/simulator/index.ts';
import {
  killLiveGateways,
  startGatewayProcess,
  type GatewayProcess,
} from '../../scripts/lib/gateway-process.ts';
import { AUDIENCE, gatewayEnv, ISSUER } from '../helpers/gateway.ts';

const PROJECT = DEMO_PROJECTS[0]?.id ?? '';
const KEY_ID = '0d0466b0-e727-4d9c-b35d-f84bb474a37f';
const grantId = (n: number) => n.toString(16).padStart(64, 'a');

let sim: Simulator;
let issuer: DevIssuer;
const dirs: string[] = [];

before(async () => {
  sim = await startSimulator();
  issuer = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
});

after(async () => {
  killLiveGateways();
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

function startProcess(env: Record<string, string>): Promise<GatewayProcess> {
  return startGatewayProcess({ env });
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

/**
 * A gateway with `graceSeconds` to drain, SIGTERMed while its one revocation (grant `n`,
 * `requestId`) hangs in the cloud; `stuck` is how that request ends.
 */
async function signalledWhileStuck(graceSeconds: number, n: number, requestId: string) {
  sim.clearCalls();
  sim.clearFaults();
  const { env, auditPath } = prepare({
    server: { shutdownGraceSeconds: graceSeconds },
    upstream: { attemptTimeoutMs: 120_000, deadlineMs: 300_000 },
  });
  const gateway = await startProcess(env);
  const token = await issuer.sign({ sub: 'alice', groups: ['secops'] });
  sim.injectFault({ service: 'kms', kind: 'hang' });
  const stuck = settle(revokeGrant(gateway, token, n, requestId));
  await kmsCallsArrived(1);
  gateway.child.kill('SIGTERM');
  return { env, auditPath, gateway, stuck };
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
    const draining = await gateway.waitForLog((line) => String(line.msg).startsWith('draining'));
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
    assert.equal((await gateway.exited).code, 0);
    assert.ok(
      gateway.logs().some((line) => line.msg === 'drained'),
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
    const {
      env,
      auditPath,
      gateway,
      stuck: cutOff,
    } = await signalledWhileStuck(1, 3, 'drain-cut-off');
    // The cloud never answers: only the grace period can end this process.
    assert.equal((await gateway.exited).code, 1);
    assert.ok((await cutOff) instanceof Error, 'the caller loses its connection');
    assert.ok(
      gateway.logs().some((line) => String(line.msg).startsWith('grace period over')),
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
    await restarted.waitForLog(
      (line) => line.level === 'debug' && line.msg === 'request' && line.path === '/metrics',
    );
    restarted.child.kill('SIGTERM');
    assert.equal((await restarted.exited).code, 0);
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
    const { gateway, stuck } = await signalledWhileStuck(300, 4, 'drain-stuck');
    await gateway.waitForLog((line) => String(line.msg).startsWith('draining'));
    gateway.child.kill('SIGTERM');
    assert.equal((await gateway.exited).code, 1);
    assert.ok(gateway.logs().some((line) => line.msg === 'second signal: exiting at once'));
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
    assert.equal((await gateway.exited).code, 0);
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
