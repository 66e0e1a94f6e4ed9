// The environment that points a gateway at a running simulator: IAM with the demo account, the
// first demo project, and every cloud service endpoint (docs/api.md "Configuration"). Tests, the
// benchmarks and the crash scripts start gateways with it.

import { DEMO_ACCOUNT, DEMO_PROJECTS } from './demo-seed.ts';

/** RESCIND_* variables for a gateway that calls the simulator at `sim.url`. */
export function simulatorEnv(sim: { readonly url: string }): Record<string, string> {
  const project = DEMO_PROJECTS[0];
  return {
    RESCIND_IAM_ENDPOINT: sim.url,
    RESCIND_IAM_DOMAIN: DEMO_ACCOUNT.domain,
    RESCIND_IAM_USER: DEMO_ACCOUNT.user,
    RESCIND_IAM_PASSWORD: DEMO_ACCOUNT.password,
    RESCIND_PROJECT_ID: project?.id ?? '',
    RESCIND_REGION: project?.name ?? 'cn-north-4',
    RESCIND_SCM_ENDPOINT: sim.url,
    RESCIND_APIG_ENDPOINT: sim.url,
    RESCIND_KMS_ENDPOINT: sim.url,
    RESCIND_MODELARTS_ENDPOINT: sim.url,
  };
}
