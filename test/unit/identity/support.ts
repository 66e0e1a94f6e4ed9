// Shared by the identity tests: evidence as Node would hand it over, a capturing logger, a
// loopback JWKS server that counts its fetches, and an assertion for 401s.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JSONWebKeySet } from 'jose';
import type { CallerEvidence } from '../../../src/identity/caller.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import { ProblemError } from '../../../src/problems/problem-error.ts';
import { captureLogger } from '../../helpers/log-capture.ts';

/** Headers as `[name, value]` pairs in arrival order; repeated names stay repeated in rawHeaders. */
export function evidenceOf(
  pairs: readonly (readonly [string, string])[],
  peerAddress: string | undefined = '127.0.0.1',
): CallerEvidence {
  const headers: Record<string, string> = {};
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    const existing = headers[key];
    // Node's rule for unknown headers: duplicates joined with ", ".
    headers[key] = existing === undefined ? value : `${existing}, ${value}`;
  }
  return { headers, rawHeaders: pairs.flat(), peerAddress };
}

export function bearer(token: string, peerAddress?: string): CallerEvidence {
  return evidenceOf([['Authorization', `Bearer ${token}`]], peerAddress);
}

export interface CapturingLogger {
  readonly logger: Logger;
  output(): string;
}

export function capturingLogger(): CapturingLogger {
  const { logger, text } = captureLogger('debug');
  return { logger, output: text };
}

export interface JwksServer {
  readonly url: string;
  fetches(): number;
  serve(jwks: JSONWebKeySet): void;
  close(): Promise<void>;
}

export async function startJwksServer(initial: JSONWebKeySet): Promise<JwksServer> {
  let jwks = initial;
  let fetches = 0;
  const server = createServer((_req, res) => {
    fetches += 1;
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    fetches: () => fetches,
    serve(next) {
      jwks = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** Asserts a 401 UNAUTHENTICATED whose detail matches and never repeats the credential. */
export async function assertUnauthenticated(
  attempt: Promise<unknown>,
  detail: RegExp,
  credential?: string,
): Promise<ProblemError> {
  let caught: unknown;
  try {
    await attempt;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ProblemError, `expected a ProblemError, got ${String(caught)}`);
  assert.equal(caught.code, 'UNAUTHENTICATED');
  assert.equal(caught.status, 401);
  assert.match(caught.detail ?? '', detail);
  if (credential !== undefined) {
    for (const part of credential.split('.').filter((segment) => segment.length > 8)) {
      assert.ok(!(caught.detail ?? '').includes(part), 'the detail repeats the credential');
      assert.ok(!caught.message.includes(part), 'the message repeats the credential');
    }
  }
  return caught;
}

export function base64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString(
    'base64url',
  );
}
