// The crash test: per trial, a gateway process under concurrent revocations is
// killed with SIGKILL at a random moment, restarted on the same audit store, and the store is
// held against what the clients saw (check-trail.ts). The cloud simulator runs in this process,
// so it outlives the gateway; `autoReseed` lets the same ids be revoked again and again.

import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { readCheckpoints } from '../../src/audit/chain/checkpoint.ts';
import { generateCheckpointKey } from '../../src/audit/chain/checkpoint-key.ts';
import { createDevIssuer, type DevIssuer } from '../../src/demo/dev-issuer.ts';
import {
  startSimulator,
  type SimService,
  type Simulator,
  simulatorEnv,
} from '../../src/simulator/index.ts';
import { checkTrail } from './check-trail.ts';
import { driveLoad, send, type ClientAnswer } from './drive-load.ts';
import { startGatewayProcess, type GatewayProcess } from '../lib/gateway-process.ts';

export interface CrashTrialOptions {
  readonly trials: number;
  /** Trials run this many at a time. */
  readonly parallel?: number;
  /** Concurrent clients per trial. */
  readonly concurrency?: number;
  /** The kill comes this many ms into the load, uniformly at random. */
  readonly killAfterMs?: readonly [number, number];
  readonly seed?: number;
  /** Called as each trial ends (in completion order). */
  readonly onTrial?: (result: TrialResult) => void;
}

export interface TrialResult {
  readonly trial: number;
  readonly killAfterMs: number;
  /** Requests of the load (the few sent after the restart are not counted). */
  readonly requestsSent: number;
  /** Answers `200 {"result":"revoked"}` the clients received before the kill. */
  readonly acknowledged: number;
  /** Requests whose client saw no answer: in flight when the process died. */
  readonly cutOff: number;
  /** Attempts the killed process left open, closed as `unknown` at restart. */
  readonly recoveredUnknown: number;
  readonly records: number;
  readonly violations: readonly string[];
}

export interface CrashSummary {
  readonly seed: number;
  readonly trials: number;
  readonly requestsSent: number;
  readonly acknowledged: number;
  readonly cutOff: number;
  readonly recoveredUnknown: number;
  /** Trials in which at least one attempt was recovered. */
  readonly trialsWithRecovery: number;
  readonly violations: number;
  readonly results: readonly TrialResult[];
}

const ISSUER = 'https://sso.crash-test.rescind.invalid';
const AUDIENCE = 'rescind-crash-test';
const CHAIN = 'crash-test';
const RECOVERY_LOG =
  'audit attempts left without an outcome by a previous run were closed as unknown';
const AFTER_RESTART = 3;

export async function runCrashTrials(options: CrashTrialOptions): Promise<CrashSummary> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const issuer = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
  const results: TrialResult[] = [];
  let nextTrial = 1;
  const runner = async () => {
    for (;;) {
      const trial = nextTrial;
      if (trial > options.trials) return;
      nextTrial += 1;
      const result = await runTrial(trial, issuer, {
        random: mulberry32(seed + trial),
        concurrency: options.concurrency ?? 16,
        killAfterMs: options.killAfterMs ?? [50, 500],
      });
      results.push(result);
      options.onTrial?.(result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.parallel ?? 1) }, runner));
  results.sort((a, b) => a.trial - b.trial);

  const sum = (pick: (result: TrialResult) => number) =>
    results.reduce((total, result) => total + pick(result), 0);
  return {
    seed,
    trials: results.length,
    requestsSent: sum((r) => r.requestsSent),
    acknowledged: sum((r) => r.acknowledged),
    cutOff: sum((r) => r.cutOff),
    recoveredUnknown: sum((r) => r.recoveredUnknown),
    trialsWithRecovery: results.filter((r) => r.recoveredUnknown > 0).length,
    violations: sum((r) => r.violations.length),
    results,
  };
}

interface TrialSettings {
  readonly random: () => number;
  readonly concurrency: number;
  readonly killAfterMs: readonly [number, number];
}

async function runTrial(
  trial: number,
  issuer: DevIssuer,
  settings: TrialSettings,
): Promise<TrialResult> {
  const { random } = settings;
  const dir = mkdtempSync(join(tmpdir(), 'rescind-crash-'));
  const gateways: GatewayProcess[] = [];
  let sim: Simulator | undefined;
  const [low, high] = settings.killAfterMs;
  const killAfterMs = Math.round(low + random() * (high - low));
  const violations: string[] = [];
  let answers: ClientAnswer[] = [];
  const afterRestart: ClientAnswer[] = [];
  let facts = { records: 0, recoveredUnknown: 0 };

  try {
    sim = await startSimulator({ autoReseed: true });
    // Slow some services down a little, at random: the wider the window between an attempt
    // and its outcome, the likelier the kill leaves attempts open.
    for (const service of ['scm', 'apig', 'kms', 'modelarts'] satisfies SimService[]) {
      if (random() < 0.5) {
        sim.injectFault({
          service,
          kind: 'delay',
          delayMs: Math.round(random() * 30),
          count: Infinity,
        });
      }
    }
    const key = generateCheckpointKey();
    const env = gatewayEnv(dir, sim.url, issuer, key.privateKeyPem);
    const tokens = {
      revoker: await issuer.sign({ sub: 'crash-revoker', groups: ['secops'] }, { expiresIn: '1h' }),
      nobody: await issuer.sign({ sub: 'crash-nobody', groups: [] }, { expiresIn: '1h' }),
    };

    const first = await startGatewayProcess({ env });
    gateways.push(first);
    await expectReady(first.url, violations, 'at first start');

    let stopLoad: () => void = () => undefined;
    const stop = new Promise<void>((resolve) => {
      stopLoad = resolve;
    });
    const timer = setTimeout(() => {
      void first.kill('SIGKILL');
      stopLoad();
    }, killAfterMs);
    answers = await driveLoad({
      url: first.url,
      concurrency: settings.concurrency,
      tokens,
      requestIdPrefix: `t${trial}`,
      random,
      stop,
    });
    clearTimeout(timer);
    const ended = await first.exited;
    if (ended.signal !== 'SIGKILL') {
      violations.push(
        `the gateway ended with ${ended.signal ?? `code ${String(ended.code)}`}, not SIGKILL`,
      );
    }

    // Same store, same chain: recovery runs before the gateway listens.
    const second = await startGatewayProcess({ env });
    gateways.push(second);
    await expectReady(second.url, violations, 'after the restart');
    for (let index = 0; index < AFTER_RESTART; index += 1) {
      const answer = await send(
        { url: second.url, tokens, random },
        `t${trial}-after-${index}`,
        'revoke',
      );
      afterRestart.push(answer);
      if (answer.body?.result !== 'revoked') {
        violations.push(
          `revocation ${answer.requestId} after the restart answered ${String(answer.status)}`,
        );
      }
    }
    void second.kill('SIGTERM');
    const drained = await second.exited;
    if (drained.code !== 0) {
      violations.push(
        `the restarted gateway exited with ${drained.signal ?? String(drained.code)} on SIGTERM`,
      );
    }
    const recoveryLine = second.logs().find((line) => line.msg === RECOVERY_LOG);
    const logged = typeof recoveryLine?.attempts === 'number' ? recoveryLine.attempts : 0;

    const checkpointsPath = join(dir, 'audit.db.checkpoints');
    const checked = await checkTrail({
      sqlitePath: join(dir, 'audit.db'),
      answers: [...answers, ...afterRestart],
      ...(statSync(checkpointsPath, { throwIfNoEntry: false }) !== undefined
        ? { checkpoints: readCheckpoints(checkpointsPath) }
        : {}),
      publicKey: createPublicKey(key.publicKeyPem),
    });
    violations.push(...checked.violations);
    if (logged !== checked.recoveredUnknown) {
      violations.push(
        `the restart logged ${logged} recovered attempts, the store holds ${checked.recoveredUnknown}`,
      );
    }
    facts = checked;
  } catch (error) {
    violations.push(`the trial failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await Promise.all(gateways.map((gateway) => gateway.kill()));
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  }

  return {
    trial,
    killAfterMs,
    requestsSent: answers.length,
    acknowledged: answers.filter((answer) => answer.body?.result === 'revoked').length,
    cutOff: answers.filter((answer) => answer.status === undefined).length,
    recoveredUnknown: facts.recoveredUnknown,
    records: facts.records,
    violations,
  };
}

function gatewayEnv(
  dir: string,
  simUrl: string,
  issuer: DevIssuer,
  signingKey: string,
): Record<string, string> {
  const configFile = join(dir, 'config.yaml');
  writeFileSync(
    configFile,
    stringify({
      authorization: { rules: [{ groups: ['secops'], allow: ['*'] }] },
      rateLimit: { windowSeconds: 60, perCaller: 1_000_000 },
      upstream: {
        attemptTimeoutMs: 2000,
        deadlineMs: 8000,
        retries: 2,
        backoffBaseMs: 10,
        backoffMaxMs: 50,
      },
      // Checkpoints often, so that kills also land around checkpoint writes.
      audit: { instanceId: CHAIN, checkpoints: { everyRecords: 40 } },
      server: { shutdownGraceSeconds: 5 },
    }),
  );
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(issuer.jwks));
  return {
    RESCIND_CONFIG: configFile,
    RESCIND_HOST: '127.0.0.1',
    RESCIND_PORT: '0',
    ...simulatorEnv({ url: simUrl }),
    RESCIND_JWT_ISSUER: issuer.issuer,
    RESCIND_JWT_AUDIENCE: issuer.audience,
    RESCIND_JWKS_FILE: jwksFile,
    RESCIND_AUDIT_SQLITE_PATH: join(dir, 'audit.db'),
    RESCIND_AUDIT_CHECKPOINT_KEY: signingKey,
    RESCIND_LOG_LEVEL: 'info',
  };
}

async function expectReady(url: string, violations: string[], when: string): Promise<void> {
  const response = await fetch(`${url}/readyz`);
  if (response.status !== 200) {
    violations.push(`/readyz answered ${response.status} ${when}: ${await response.text()}`);
  }
}

/** A small seeded PRNG, so that a failing trial can be replayed with --seed. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
