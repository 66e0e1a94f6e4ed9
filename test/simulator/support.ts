// The shared setup of the simulator suites: one simulator per suite, a project-scoped token for
// it, and the faults a test injected cleared after it.
import { after, afterEach, before } from 'node:test';
import { startSimulator } from '../../src/simulator/index.ts';
import type { Simulator, SimulatorOptions } from '../../src/simulator/index.ts';
import { token } from './sim-client.ts';

export interface SimulatorSuite {
  /** The suite's simulator, started in `before`. */
  readonly sim: Simulator;
  /** A project-scoped token for the demo account. */
  readonly tok: string;
}

/** Registers the hooks of a suite that shares one simulator; read its fields inside tests. */
export function useSimulator(options?: SimulatorOptions): SimulatorSuite {
  let sim: Simulator | undefined;
  let tok = '';
  const started = (): Simulator => {
    if (sim === undefined) throw new Error('the simulator starts in before()');
    return sim;
  };
  before(async () => {
    sim = await startSimulator(options);
    tok = await token(sim);
  });
  afterEach(() => {
    started().clearFaults();
  });
  after(() => started().close());
  return {
    get sim() {
      return started();
    },
    get tok() {
      return tok;
    },
  };
}

/** Runs `work` on a simulator of its own, started with `options` and closed whatever happens. */
export async function withSimulator<T>(
  options: SimulatorOptions,
  work: (sim: Simulator) => Promise<T> | T,
): Promise<T> {
  const sim = await startSimulator(options);
  try {
    return await work(sim);
  } finally {
    await sim.close();
  }
}
