// The cloud simulator's public surface: what the gateway's tests, the demo and the benchmark use.
export { startSimulator } from './start-simulator.ts';
export { DEMO_ACCOUNT, DEMO_AGENCY, DEMO_PROJECTS, DEMO_RESOURCES } from './demo-seed.ts';
export { SIM_ERRORS } from './envelopes.ts';
export { DEMO_ACCESS_KEY } from './sim-credentials.ts';
export { simulatorEnv } from './simulator-env.ts';
export type { SimError, SimErrorName } from './envelopes.ts';
export { FaultSpecError, parseFaultSpec } from './faults.ts';
export {
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  DEFAULT_TOKEN_SIZE_BYTES,
  SimulatorOptionsError,
} from './resolve-simulator-options.ts';
export { DEFAULT_CALL_LOG_LIMIT } from './call-log.ts';
export { SIM_SERVICES } from './simulator-types.ts';
export type {
  FaultKind,
  FaultSpec,
  RecordedCall,
  SimAccount,
  SimAgency,
  SimProject,
  SimResourceKind,
  SimResources,
  SignatureCheck,
  SimAccessKey,
  SimCredentialOptions,
  SimIdentityProvider,
  SimTemporaryKey,
  SimService,
  Simulator,
  SimulatorOptions,
  TokenScope,
} from './simulator-types.ts';
