// The test suite's PostgreSQL and Redis, for CI and for anyone who wants one pair of servers
// for a whole run instead of one per test file (test/helpers/servers.ts does the work):
//
//   eval "$(npm run -s test:servers -- start)"   # starts both, prints `export RESCIND_TEST_*=…`
//   npm run test:only                           # the tests use them
//   npm run test:servers -- stop                # stops them by PID, removes their directories
//
//   npm run test:servers -- run -- npm test     # the three steps in one
//
// Both servers listen on 127.0.0.1 only, keep their data in throwaway directories, and are
// stopped by the PIDs recorded in the state file (--state DIR, default $TMPDIR/rescind-test-servers).

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  alive,
  bothOrNeither,
  POSTGRES_URL_VARIABLE,
  REDIS_URL_VARIABLE,
  startPostgres,
  startRedis,
  stopProcess,
} from '../test/helpers/servers.ts';

interface State {
  readonly postgres: { readonly pid: number; readonly dir: string; readonly url: string };
  readonly redis: { readonly pid: number; readonly dir: string; readonly url: string };
}

const USAGE = `usage: npm run test:servers -- start|stop [--state DIR]
       npm run test:servers -- run [--state DIR] -- COMMAND [ARGS...]`;

const { values, positionals } = parseArgs({
  options: { state: { type: 'string' }, help: { type: 'boolean' } },
  allowPositionals: true,
});
const [command, ...rest] = positionals;
const stateDir = values.state ?? join(tmpdir(), 'rescind-test-servers');
const stateFile = join(stateDir, 'state.json');

function elapsed(since: number): string {
  return `${Math.round(performance.now() - since)} ms`;
}

async function start(detached: boolean): Promise<State> {
  const began = performance.now();
  const [postgres, redis] = await bothOrNeither(
    startPostgres({ detached }),
    startRedis({ detached }),
  );
  const state: State = {
    postgres: { pid: postgres.pid() ?? 0, dir: postgres.dir, url: postgres.url() },
    redis: { pid: redis.pid() ?? 0, dir: redis.dir, url: redis.url() },
  };
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeFileSync(stateFile, JSON.stringify(state), { mode: 0o600 });
  writeFileSync(join(stateDir, 'env'), exports(state), { mode: 0o600 });
  console.error(
    `test servers up in ${elapsed(began)}: PostgreSQL pid ${state.postgres.pid} on ${new URL(state.postgres.url).host}, Redis pid ${state.redis.pid} on ${new URL(state.redis.url).host}`,
  );
  return state;
}

function exports(state: State): string {
  return `export ${POSTGRES_URL_VARIABLE}='${state.postgres.url}'\nexport ${REDIS_URL_VARIABLE}='${state.redis.url}'\n`;
}

async function stop(): Promise<void> {
  const began = performance.now();
  let state: State;
  try {
    state = JSON.parse(readFileSync(stateFile, 'utf8')) as State;
  } catch {
    console.error(`no test servers recorded in ${stateFile}`);
    return;
  }
  await Promise.all([
    stopProcess(state.postgres.pid, 'SIGINT'),
    stopProcess(state.redis.pid, 'SIGTERM'),
  ]);
  const left = [state.postgres.pid, state.redis.pid].filter(alive);
  rmSync(state.postgres.dir, { recursive: true, force: true });
  rmSync(state.redis.dir, { recursive: true, force: true });
  rmSync(stateDir, { recursive: true, force: true });
  if (left.length > 0) throw new Error(`still running: ${left.join(', ')}`);
  console.error(`test servers stopped in ${elapsed(began)}`);
}

async function run(argv: readonly string[]): Promise<number> {
  const [file, ...args] = argv;
  if (file === undefined) {
    console.error(USAGE);
    return 2;
  }
  const state = await start(false);
  try {
    const child = spawn(file, args, {
      stdio: 'inherit',
      env: {
        ...process.env,
        [POSTGRES_URL_VARIABLE]: state.postgres.url,
        [REDIS_URL_VARIABLE]: state.redis.url,
      },
    });
    // Ctrl-C or a CI timeout: pass it on and stop the servers once the command has ended.
    const forward = (signal: NodeJS.Signals) => {
      child.kill(signal);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    return code ?? 128 + (signal === null ? 0 : constants.signals[signal]);
  } finally {
    await stop();
  }
}

if (values.help === true) {
  console.log(USAGE);
} else if (command === 'start') {
  process.stdout.write(exports(await start(true)));
} else if (command === 'stop') {
  await stop();
} else if (command === 'run') {
  process.exitCode = await run(rest);
} else {
  console.error(USAGE);
  process.exitCode = 2;
}
