// A stand-in for the company SSO in the compose demo and the container check: it publishes a
// JWKS the gateway verifies caller JWTs against, and mints a JWT for whoever asks. DEVELOPMENT
// ONLY: anybody who can reach it can become anybody. Its key lives in memory, so a restart
// invalidates every token it minted (the gateway picks up the new key by itself).
//
//   GET  /.well-known/jwks.json                           the public JWKS
//   POST /token?sub=alice&groups=secops[,…][&email=…][&ttl=3600]   a JWT (text/plain)
//   GET  /healthz
//
// Runs with the Rescind image's Node, which resolves `jose` from /app/node_modules:
//   node /app/dev-sso.ts      (SSO_HOST, SSO_PORT, SSO_ISSUER, SSO_AUDIENCE)

import { createServer, type ServerResponse } from 'node:http';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';

const HOST = process.env.SSO_HOST ?? '0.0.0.0';
const PORT = Number(process.env.SSO_PORT ?? '8082');
const ISSUER = process.env.SSO_ISSUER ?? 'https://sso.compose.rescind.invalid';
const AUDIENCE = process.env.SSO_AUDIENCE ?? 'rescind';
const ALGORITHM = 'ES256';
const NAME = /^[A-Za-z0-9._@-]{1,128}$/;
const MIN_TTL_SECONDS = 60;
const MAX_TTL_SECONDS = 86_400;

const { privateKey, publicKey } = await generateKeyPair(ALGORITHM);
const publicJwk = await exportJWK(publicKey);
const kid = await calculateJwkThumbprint(publicJwk);
const jwks = JSON.stringify({ keys: [{ ...publicJwk, kid, alg: ALGORITHM, use: 'sig' }] });

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function mint(query: URLSearchParams): Promise<string | { error: string }> {
  const sub = query.get('sub') ?? '';
  if (!NAME.test(sub)) return { error: 'sub is required: 1-128 of [A-Za-z0-9._@-]' };
  const groups = (query.get('groups') ?? '')
    .split(',')
    .map((group) => group.trim())
    .filter((group) => group !== '');
  if (!groups.every((group) => NAME.test(group))) return { error: 'groups: [A-Za-z0-9._@-]' };
  const email = query.get('email');
  const ttl = Number(query.get('ttl') ?? '3600');
  if (!Number.isInteger(ttl) || ttl < MIN_TTL_SECONDS || ttl > MAX_TTL_SECONDS) {
    return { error: `ttl must be ${MIN_TTL_SECONDS}-${MAX_TTL_SECONDS} seconds` };
  }
  return new SignJWT({ groups, ...(email === null ? {} : { email }) })
    .setProtectedHeader({ alg: ALGORITHM, kid, typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(`${ttl}s`)
    .sign(privateKey);
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://sso');
  if (req.method === 'GET' && url.pathname === '/.well-known/jwks.json') {
    send(res, 200, 'application/json', jwks);
  } else if (req.method === 'GET' && url.pathname === '/healthz') {
    send(res, 200, 'application/json', '{"status":"ok"}');
  } else if (req.method === 'POST' && url.pathname === '/token') {
    mint(url.searchParams).then(
      (result) => {
        if (typeof result === 'string') send(res, 200, 'text/plain', `${result}\n`);
        else send(res, 400, 'application/json', JSON.stringify(result));
      },
      () => {
        send(res, 500, 'application/json', '{"error":"cannot sign"}');
      },
    );
  } else {
    send(res, 404, 'application/json', '{"error":"not found"}');
  }
});

server.listen(PORT, HOST, () => {
  console.log(
    `dev SSO (development only) on http://${HOST}:${PORT}: issuer ${ISSUER}, audience ${AUDIENCE}`,
  );
});

const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
