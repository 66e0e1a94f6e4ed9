// The simulator's HTTP server and its programmatic handle. One server answers IAM, the five
// services and the /__sim/ control API; every call is recorded, then faults, then the service.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CallLog } from './call-log.ts';
import { CONTROL_PREFIX, handleControl } from './control-api.ts';
import type { ControlTarget } from './control-api.ts';
import { DEMO_RESOURCES } from './demo-seed.ts';
import { errorResponse, SIM_ERRORS } from './envelopes.ts';
import type { SimResponse } from './envelopes.ts';
import { FaultQueue, faultResponse, streamOversized } from './faults.ts';
import { resolveSimulatorOptions } from './resolve-simulator-options.ts';
import { SimCredentials } from './sim-credentials.ts';
import { isSigned, verifySignature } from './verify-signature.ts';
import { ResourceStore } from './resource-store.ts';
import { answerCall, matchRoute, type RouteMatch } from './services.ts';
import type { SimContext, SimRequest } from './sim-context.ts';
import type { RecordedCall, Simulator, SimulatorOptions, TokenScope } from './simulator-types.ts';
import { TokenStore } from './token-store.ts';
import type { TokenRecord } from './token-store.ts';

// Huawei's gateway takes bodies up to 12 MB; revocation bodies are tiny, and 1 MiB keeps a
// runaway client from growing the simulator's memory.
const MAX_BODY_BYTES = 1024 * 1024;
// Node's default 16 KB header limit would turn a large token into a 431 the cloud never sends.
const MIN_MAX_HEADER_SIZE = 64 * 1024;

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const config = resolveSimulatorOptions(options);
  const tokens = new TokenStore(config.tokenSizeBytes);
  const resources = new ResourceStore();
  if (config.seed === 'demo') resources.addAll(DEMO_RESOURCES);
  const log = new CallLog(config.callLogLimit);
  const faults = new FaultQueue();
  let url = '';

  const credentials = new SimCredentials(config.credentials, config.accounts);
  const ctx: SimContext = {
    tokens,
    credentials,
    resources,
    accounts: config.accounts,
    agencies: config.agencies,
    projects: config.projects,
    projectsById: new Map(config.projects.map((p) => [p.id, p])),
    tokenLifetimeSeconds: config.tokenLifetimeSeconds,
    clock: config.clock,
    autoReseed: config.autoReseed,
    baseUrl: () => url,
  };

  const control = createControlTarget(log, faults, resources, tokens);

  // Cleanup is registered as the resources come to exist: open sockets (hung calls included)
  // and delay timers are what close() must end.
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closing: Promise<void> | undefined;

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID().replaceAll('-', '');
    const method = req.method ?? 'GET';
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const queryString = q === -1 ? '' : rawUrl.slice(q + 1);
    const { body, tooLarge } = await readBody(req);

    if (path.startsWith(CONTROL_PREFIX)) {
      send(
        res,
        requestId,
        handleControl(control, method, path, new URLSearchParams(queryString), body),
      );
      return;
    }

    const { call, simReq, match } = receiveCall(
      { log, tokens, credentials, clock: config.clock },
      req,
      { method, path, queryString, body, requestId },
    );
    const finish = (answer: SimResponse): void => {
      call.status = answer.status;
      send(res, requestId, answer);
    };
    const answerNormally = (): SimResponse =>
      tooLarge ? errorResponse(SIM_ERRORS.bodyTooLarge, requestId) : answerCall(ctx, simReq, match);

    const fault = faults.take(match.service, method, path);
    if (fault === undefined) {
      finish(answerNormally());
      return;
    }
    call.fault = fault.kind;
    if (fault.kind === 'delay') {
      // The server has the request: the operation happens after the delay even if the
      // client gave up meanwhile, as it would in the cloud.
      await sleep(fault.delayMs);
      finish(answerNormally());
      return;
    }
    // "Applied, but the answer was lost": perform the operation, then answer with the fault.
    if (fault.takesEffect === true) answerNormally();
    switch (fault.kind) {
      case 'hang':
        // Never answered; close() destroys the socket.
        return;
      case 'reset':
        // A TCP RST, so the client sees ECONNRESET rather than a clean close.
        req.socket.resetAndDestroy();
        return;
      case 'oversized': {
        const status = fault.status ?? 502;
        call.status = status;
        streamOversized(res, status, fault.sizeBytes, requestId);
        return;
      }
      default: {
        const answer = faultResponse(fault, match.service, requestId);
        finish(answer ?? errorResponse(SIM_ERRORS.systemError, requestId));
      }
    }
  };

  const server = createServer(
    { maxHeaderSize: Math.max(MIN_MAX_HEADER_SIZE, config.tokenSizeBytes + 16 * 1024) },
    (req, res) => {
      onRequest(req, res).catch(() => {
        // Only a simulator bug or a client that vanished mid-body lands here; answer if possible.
        if (!res.headersSent && !res.destroyed) {
          const requestId = randomUUID().replaceAll('-', '');
          send(res, requestId, errorResponse(SIM_ERRORS.systemError, requestId));
        }
      });
    },
  );
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  return {
    url,
    calls: (filter) =>
      log.list(filter?.service === undefined ? undefined : { service: filter.service }),
    clearCalls: () => {
      log.clear();
    },
    injectFault: (fault) => {
      faults.add(fault);
    },
    clearFaults: () => {
      faults.clear();
    },
    addScmCertificate: (projectId, certId) => {
      resources.addScmPrivacy(projectId, certId);
    },
    addCsr: (csrId, domain) => {
      resources.addCsr(csrId, domain);
    },
    addApigCertificate: (projectId, certificateId, opts) => {
      resources.addApigCertificate(projectId, certificateId, opts?.bound ?? false);
    },
    addKmsGrant: (projectId, keyId, grantId) => {
      resources.addKmsGrant(projectId, keyId, grantId);
    },
    addModelArtsAuthorization: (projectId, userId) => {
      resources.addModelArtsAuthorization(projectId, userId);
    },
    has: (kind, ...ids) => resources.has(kind, ids),
    revokeAllTokens: () => {
      tokens.revokeAll();
    },
    issuedTokens: () => tokens.issued,
    rotateMetadataKey: () => {
      credentials.rotate();
    },
    revokeTemporaryKeys: () => {
      credentials.revokeTemporary();
    },
    temporaryKeys: () => credentials.issued(),
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

/** What the /__sim/ control API may do to the running simulator. */
function createControlTarget(
  log: CallLog,
  faults: FaultQueue,
  resources: ResourceStore,
  tokens: TokenStore,
): ControlTarget {
  return {
    listCalls: (filter) => log.list(filter),
    clearCalls: () => {
      log.clear();
    },
    injectFault: (fault) => {
      faults.add(fault);
      return faults.pending;
    },
    clearFaults: () => {
      faults.clear();
    },
    addResources: (batch) => {
      resources.addAll(batch);
    },
    has: (kind, ids) => resources.has(kind, ids),
    revokeAllTokens: () => {
      tokens.revokeAll();
    },
    stats: () => ({
      issuedTokens: tokens.issued,
      calls: log.counts(),
      recordedCalls: log.size,
      pendingFaults: faults.pending,
    }),
  };
}

interface ReceivedCall {
  readonly call: RecordedCall;
  readonly simReq: SimRequest;
  readonly match: RouteMatch;
}

/** Routes, authenticates and records one call, as the cloud would see it arrive. */
function receiveCall(
  sim: { log: CallLog; tokens: TokenStore; credentials: SimCredentials; clock: () => number },
  req: IncomingMessage,
  parts: { method: string; path: string; queryString: string; body: string; requestId: string },
): ReceivedCall {
  const { log, tokens, credentials, clock } = sim;
  const { method, path, queryString, body, requestId } = parts;
  const query = queryString === '' ? {} : Object.fromEntries(new URLSearchParams(queryString));
  const segments = decodeSegments(path);
  const match = matchRoute(method, segments);
  const header = req.headers['x-auth-token'];
  const received = Array.isArray(header) ? header.join(', ') : header;
  const known = received === undefined ? undefined : tokens.lookup(received);
  // The store's instance of a known token, so 100,000 records share one 9 KB string.
  const token = known?.token ?? received;
  // Every signed call is verified as it arrives, whatever answers it, and the verdict recorded.
  const signature = isSigned(req.headers)
    ? verifySignature(
        { method, rawPath: path, rawQuery: queryString, headers: req.headers, body },
        credentials,
        clock(),
      )
    : undefined;
  const call = log.record({
    service: match.service,
    method,
    path,
    query,
    headers: copyHeaders(req.headers, token),
    body,
    ...(token === undefined ? {} : { token, tokenScope: scopeOf(known) }),
    ...(signature === undefined ? {} : { signature }),
    status: 0,
  });
  const simReq: SimRequest = {
    method,
    path,
    segments,
    query,
    headers: req.headers,
    body,
    token,
    requestId,
    ...(signature === undefined ? {} : { signature }),
  };
  return { call, simReq, match };
}

function readBody(req: IncomingMessage): Promise<{ body: string; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      const tooLarge = size > MAX_BODY_BYTES;
      resolve({ body: tooLarge ? '' : Buffer.concat(chunks).toString('utf8'), tooLarge });
    });
    req.on('error', reject);
  });
}

function decodeSegments(path: string): string[] {
  return path
    .split('/')
    .slice(1)
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
}

function copyHeaders(
  headers: IncomingHttpHeaders,
  token: string | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (token !== undefined && out['x-auth-token'] !== undefined) out['x-auth-token'] = token;
  return out;
}

function scopeOf(record: TokenRecord | undefined): TokenScope {
  if (record === undefined) return { kind: 'invalid' };
  return record.scope.kind === 'project'
    ? { kind: 'project', projectId: record.scope.projectId }
    : { kind: 'domain', domain: record.scope.domain };
}

/** Writes an answer with a fresh X-Request-Id (unless it has none); header names are de-duplicated ignoring case. */
function send(res: ServerResponse, requestId: string, answer: SimResponse): void {
  const headers = new Map<string, [string, string]>();
  const set = (name: string, value: string): void => {
    headers.set(name.toLowerCase(), [name, value]);
  };
  if (answer.withoutRequestId !== true) set('X-Request-Id', requestId);
  for (const [name, value] of Object.entries(answer.headers ?? {})) set(name, value);
  const hasBody = answer.status !== 204 && answer.status !== 304;
  if (hasBody) set('Content-Length', String(Buffer.byteLength(answer.body ?? '')));
  res.writeHead(answer.status, Object.fromEntries(headers.values()));
  res.end(hasBody ? answer.body : undefined);
}
