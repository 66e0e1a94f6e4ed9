// The image's HEALTHCHECK and the Kubernetes exec probes: exit 0 when the gateway answers 200.
// It runs inside the container because a sidecar listening on 127.0.0.1 cannot be reached by
// the kubelet's httpGet probes (they go to the pod IP), and the image has no curl.
//
//   node /app/healthcheck.ts                 GET /healthz on RESCIND_HOST:RESCIND_PORT
//   node /app/healthcheck.ts /readyz         another path on the same address
//   node /app/healthcheck.ts http://127.0.0.1:8081/__sim/stats    any URL (the simulator)

const DEFAULT_PORT = '8080';
const TIMEOUT_MS = 2_000;

function gatewayOrigin(env: NodeJS.ProcessEnv): string {
  const host = env.RESCIND_HOST ?? '';
  const port = env.RESCIND_PORT ?? DEFAULT_PORT;
  // A wildcard listener answers on loopback.
  if (host === '' || host === '0.0.0.0') return `http://127.0.0.1:${port}`;
  if (host === '::') return `http://[::1]:${port}`;
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

const target = process.argv[2] ?? '/healthz';
const url = /^https?:\/\//.test(target) ? target : `${gatewayOrigin(process.env)}${target}`;

try {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  await response.body?.cancel();
  if (response.status !== 200) {
    console.error(`${url} answered ${response.status}`);
    process.exit(1);
  }
} catch (error) {
  console.error(`${url} did not answer: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
