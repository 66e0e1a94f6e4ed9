// Trusting loopback in trusted-headers mode trusts more than the SSO proxy: in a Kubernetes pod
// every container shares the network namespace, so any sidecar reaching 127.0.0.1 could set
// X-Forwarded-User and be believed. The gateway still starts (a proxy on the same machine is a
// legitimate setup) but says so at start-up (docs/deploy.md "Behind an SSO proxy in the same pod").

import { createCidrSet } from './cidr-set.ts';

export const LOOPBACK_TRUST_WARNING =
  'trusted-headers mode trusts a loopback address: every process that can reach loopback — in a ' +
  'Kubernetes pod, every container of the pod — can set X-Forwarded-User and be believed. ' +
  "Safer: let the SSO proxy pass the user's token (oauth2-proxy --pass-authorization-header) and " +
  'verify it with RESCIND_IDENTITY_MODE=jwt (docs/deploy.md "Behind an SSO proxy in the same pod")';

/** The trusted CIDRs that include a loopback address (127.0.0.0/8, ::1, or wider networks). */
export function loopbackCidrs(trustedProxies: readonly string[]): string[] {
  return trustedProxies.filter((cidr) => {
    const set = createCidrSet([cidr]);
    const address = cidr.split('/')[0]?.trim().toLowerCase() ?? '';
    return (
      set.has('127.0.0.1') ||
      set.has('::1') ||
      /^(::ffff:)?127\./.test(address) ||
      address === '::1' ||
      address === '0:0:0:0:0:0:0:1'
    );
  });
}
