// Helpers of the audit component tests: the trail read through a second SQLite connection of
// our own (what another process would see: committed records only), a tap in front of a cloud
// service that sees each call as it arrives and may hold it, and a revocation call as a client
// makes it.

import { send, type Answer } from '../helpers/http.ts';
import { eventually as waitUntil } from '../helpers/wait.ts';
import { once } from 'node:events';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DatabaseSync } from 'node:sqlite';
import type { AuditRecord } from '../../src/audit/audit-record.ts';
import { DEMO_RESOURCES } from '../../src/simulator/index.ts';

export const KMS_GRANT = DEMO_RESOURCES.kmsGrants[0];
export const KMS_PATH = `/v1/kms/keys/${KMS_GRANT.keyId}/grants/${KMS_GRANT.grantId}`;
export const SCM_PATH = `/v1/scm/certificates/${DEMO_RESOURCES.scmPrivacy[0].certId}/privacy`;
export const APIG_PATH = `/v1/apig/certificates/${DEMO_RESOURCES.apigCertificates[0].certificateId}`;

/** Every committed record, in (chain, seq) order, read with a connection of our own. */
export function readTrail(path: string, requestId?: string): AuditRecord[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const rows =
      requestId === undefined
        ? db.prepare('SELECT body FROM audit_records ORDER BY chain, seq').all()
        : db
            .prepare('SELECT body FROM audit_records WHERE request_id = ? ORDER BY chain, seq')
            .all(requestId);
    return rows.map((row) => JSON.parse(String(row.body)) as AuditRecord);
  } finally {
    db.close();
  }
}

export type { Answer };

/** A DELETE as a client sends it; the body is read as JSON (problem+json included). */
export function callRoute(
  url: string,
  options: { readonly token?: string; readonly requestId: string; readonly method?: string },
): Promise<Answer> {
  return send(url, {
    method: options.method ?? 'DELETE',
    headers: {
      'X-Request-Id': options.requestId,
      ...(options.token !== undefined ? { Authorization: `Bearer ${options.token}` } : {}),
    },
  });
}

export interface TapCall {
  readonly method: string;
  readonly path: string;
  readonly requestId: string | undefined;
}

export interface UpstreamTap {
  readonly url: string;
  readonly calls: readonly TapCall[];
  /** Resolves with the next call to arrive (or the first, if one already did). */
  nextCall(): Promise<TapCall>;
  close(): Promise<void>;
}

/**
 * A loopback server in front of a cloud service: each call is handed to `onCall` as it arrives
 * — before anything is forwarded — and forwarded to `target` once `onCall` settles.
 */
export async function startUpstreamTap(
  target: string,
  onCall: (call: TapCall) => void | Promise<void> = () => undefined,
): Promise<UpstreamTap> {
  const calls: TapCall[] = [];
  const waiting: ((call: TapCall) => void)[] = [];
  let seen = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const header = req.headers['x-request-id'];
      const call: TapCall = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        requestId: typeof header === 'string' ? header : undefined,
      };
      calls.push(call);
      waiting.shift()?.(call);
      void Promise.resolve(onCall(call)).then(() => {
        const forwarded = request(
          new URL(req.url ?? '/', target),
          { method: req.method, headers: withoutHost(req.headers) },
          (upstream) => {
            res.writeHead(upstream.statusCode ?? 502, upstream.headers);
            upstream.pipe(res);
          },
        );
        forwarded.on('error', () => res.destroy());
        forwarded.end(Buffer.concat(chunks));
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    nextCall() {
      const already = calls[seen];
      seen += 1;
      if (already !== undefined) return Promise.resolve(already);
      return new Promise((resolve) => waiting.push(resolve));
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

function withoutHost(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const { host: _host, ...rest } = headers;
  return rest;
}

/** A promise with its resolve, for holding a tapped call until the test lets it go. */
export function gate(): { readonly opened: Promise<void>; open(): void } {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Polls an asynchronous condition that no event announces (readiness after the probe). */
export function eventually(
  condition: () => Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  return waitUntil(condition, what, { timeoutMs, everyMs: 20 });
}
