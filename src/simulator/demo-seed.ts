// The demo world: one service account, one agency, two projects and a few resources per route.
// The demo and the CLI print these ids so a ready-to-paste revocation works on the first try.
// The project ids are the ones the contract's config example uses, so that example works as is.
import type { SimAccount, SimAgency, SimProject, SimResources } from './simulator-types.ts';

export const DEMO_ACCOUNT: SimAccount = {
  domain: 'rescind-demo',
  domainId: '5e1f8a3c9b2d4e6f8a0b1c2d3e4f5a6b',
  user: 'rescind-gateway',
  userId: '7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d',
  // A fixture, printed by the CLI on purpose; never a real credential.
  password: 'sim-demo-password',
};

export const DEMO_AGENCY: SimAgency = {
  domain: 'rescind-demo-target',
  name: 'rescind-revoker',
  trustedDomain: DEMO_ACCOUNT.domain,
};

const DEFAULT_PROJECT = '0123456789abcdef0123456789abcdef';
const EU_PROJECT = 'fedcba9876543210fedcba9876543210';

export const DEMO_PROJECTS: SimProject[] = [
  { id: DEFAULT_PROJECT, name: 'cn-north-4' },
  { id: EU_PROJECT, name: 'eu-west-101' },
];

// Several ids per route so the demo can be walked through more than once; the KMS key and the
// first grant id are the examples from the KMS revoke-grant API page (docs/api.md "Upstream calls").
export const DEMO_RESOURCES = {
  scmPrivacy: [
    { projectId: DEFAULT_PROJECT, certId: 'scs1700000000001' },
    { projectId: DEFAULT_PROJECT, certId: 'scs1700000000002' },
    { projectId: DEFAULT_PROJECT, certId: 'scs1700000000003' },
    { projectId: EU_PROJECT, certId: 'scs1700000000101' },
  ],
  csrs: [
    { csrId: 'csr-demo-0000000001' },
    { csrId: 'csr-demo-0000000002' },
    { csrId: 'csr-demo-0000000003' },
  ],
  apigCertificates: [
    { projectId: DEFAULT_PROJECT, certificateId: 'a27be832f2e9441c8127fe48e3b5ac67' },
    { projectId: DEFAULT_PROJECT, certificateId: 'b38cf943a3fa4552d238af59f4c6bd78' },
    // Bound to a domain name: deleting it answers 409 until unbound (never, in the simulator).
    { projectId: DEFAULT_PROJECT, certificateId: 'c49d0a54b40b5663e349b06a05d7ce89', bound: true },
    { projectId: EU_PROJECT, certificateId: 'd50e1b65c51c6774f45ac17b16e8df90' },
  ],
  kmsGrants: [
    {
      projectId: DEFAULT_PROJECT,
      keyId: '0d0466b0-e727-4d9c-b35d-f84bb474a37f',
      grantId: '7c9a3286af4fcca5f0a385ad13e1d21a50e27b6dbcab50f37f30f93b8939827d',
    },
    {
      projectId: DEFAULT_PROJECT,
      keyId: '0d0466b0-e727-4d9c-b35d-f84bb474a37f',
      grantId: '1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a7988',
    },
    {
      projectId: DEFAULT_PROJECT,
      keyId: 'bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e',
      grantId: 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1',
    },
    {
      projectId: EU_PROJECT,
      keyId: '9e8d7c6b-5a49-4382-9170-f6e5d4c3b2a1',
      grantId: 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100',
    },
  ],
  modelartsAuthorizations: [
    { projectId: DEFAULT_PROJECT, userId: 'd80fb058844ae8b82aa66d9fe0f2e6a1' },
    { projectId: DEFAULT_PROJECT, userId: 'e91a0c169a5bf9c93bb77eaf1f3f7b21' },
    { projectId: DEFAULT_PROJECT, userId: 'f02b1d27ab6c0ada4cc88fb020408c32' },
    { projectId: EU_PROJECT, userId: '0a3c2e38bc7d1beb5dd990c13151d943' },
  ],
} as const satisfies SimResources;
