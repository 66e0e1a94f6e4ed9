import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { createLogContext } from '../../../src/observability/log-context.ts';
import { REDACTED, REDACT_DEPTH } from '../../../src/observability/logger.ts';
import { captureLogger } from '../../helpers/log-capture.ts';

const CANARY = 'canary-7f3a91';

describe('logger redaction', () => {
  it('censors Authorization, X-Auth-Token and X-Subject-Token headers wherever a header map sits', () => {
    const { logger, text, lines } = captureLogger();
    const headers = {
      authorization: `Bearer ${CANARY}-a`,
      Authorization: `Bearer ${CANARY}-A`,
      'x-auth-token': `${CANARY}-b`,
      'X-Auth-Token': `${CANARY}-B`,
      'x-subject-token': `${CANARY}-c`,
      'X-Subject-Token': `${CANARY}-C`,
      'proxy-authorization': `Basic ${CANARY}-d`,
      cookie: `session=${CANARY}-e`,
      'content-type': 'application/json',
    };
    logger.info({ headers }, 'top-level header map');
    logger.info({ req: { headers } }, 'request headers');
    logger.info({ upstream: { request: { headers } } }, 'nested request headers');
    logger.info({ res: { headers } }, 'response headers');
    logger.info(headers, 'headers as the line itself');

    assert.ok(!text().includes(CANARY), text());
    const [first] = lines();
    const shown = (first?.headers ?? {}) as Record<string, unknown>;
    assert.equal(shown.authorization, REDACTED);
    assert.equal(shown['x-auth-token'], REDACTED);
    assert.equal(shown['content-type'], 'application/json', 'other headers stay readable');
  });

  it('censors password and token fields at every depth down to the limit', () => {
    const { logger, text, lines } = captureLogger();
    let nested: Record<string, unknown> = { password: `${CANARY}-p`, token: `${CANARY}-t` };
    for (let depth = 0; depth < REDACT_DEPTH; depth += 1) {
      nested = { depth, inner: nested, password: `${CANARY}-p${depth}` };
    }
    logger.info(nested, 'deeply nested secrets');
    logger.info(
      {
        auth: { identity: { password: { user: { name: 'svc', password: `${CANARY}-iam` } } } },
      },
      'an IAM auth body',
    );
    logger.info({ items: [{ token: `${CANARY}-array` }] }, 'inside an array');
    logger.info(
      {
        config: {
          cloud: { iam: { password: `${CANARY}-cfg` } },
          rateLimit: { redisUrl: `redis://:${CANARY}@redis:6379` },
          audit: {
            postgresUrl: `postgres://u:${CANARY}@db/rescind`,
            checkpoints: { signingKey: `-----BEGIN PRIVATE KEY-----${CANARY}` },
          },
        },
      },
      'a whole configuration',
    );

    assert.ok(!text().includes(CANARY), text());
    const [first] = lines();
    assert.equal(first?.password, REDACTED);
    assert.equal(first.depth, REDACT_DEPTH - 1, 'the structure around the secrets is kept');
  });

  it('censors keys in any letter case, in child bindings and inside errors and their causes', () => {
    const { logger, text, lines } = captureLogger();
    logger.info({ HEADERS: { 'X-AUTH-TOKEN': `${CANARY}-upper`, PassWord: `${CANARY}-mixed` } });
    logger.child({ token: `${CANARY}-binding` }).info('child line');
    const error = Object.assign(new Error('exchange failed'), {
      request: { headers: { 'x-auth-token': `${CANARY}-err` } },
    });
    const wrapped = new Error('outer', {
      cause: Object.assign(new Error('inner'), { password: `${CANARY}-cause` }),
    });
    logger.error({ err: error }, 'error line');
    logger.error({ err: wrapped }, 'wrapped error line');

    assert.ok(!text().includes(CANARY), text());
    const errorLine = lines().find((line) => line.msg === 'error line');
    const err = errorLine?.err as Record<string, unknown> | undefined;
    assert.equal(err?.message, 'exchange failed', 'the error keeps its message');
    assert.equal(err.type, 'Error', 'its type');
    assert.match(String(err.stack), /exchange failed/, 'and its stack');
  });

  it('leaves the objects it was given unchanged', () => {
    const { logger } = captureLogger();
    const headers = { authorization: `Bearer ${CANARY}` };
    const error = Object.assign(new Error('x'), { token: CANARY });
    logger.info({ headers, err: error });
    assert.equal(headers.authorization, `Bearer ${CANARY}`);
    assert.equal(error.token, CANARY);
  });

  it('keeps a message and fields that merely mention the words', () => {
    const { logger, lines } = captureLogger();
    logger.info({ scope: 'project:abc', result: 'success' }, 'IAM token issued');
    assert.equal(lines()[0]?.msg, 'IAM token issued');
    assert.equal(lines()[0]?.scope, 'project:abc');
  });
});

describe('logger level', () => {
  it('writes only lines at or above the configured level', () => {
    const { logger, lines } = captureLogger('warn');
    logger.debug('hidden debug');
    logger.info('hidden info');
    logger.warn('shown warn');
    logger.error('shown error');
    assert.deepEqual(
      lines().map((line) => [line.level, line.msg]),
      [
        ['warn', 'shown warn'],
        ['error', 'shown error'],
      ],
    );
  });

  it('writes JSON lines with an ISO time, the level label and the service name', () => {
    const { logger, lines } = captureLogger('info');
    logger.info('hello');
    const [line] = lines();
    assert.equal(line?.service, 'rescind');
    assert.equal(line.level, 'info');
    assert.match(String(line.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe('request log context', () => {
  const request = { requestId: 'req-1', traceId: 'a'.repeat(32) };

  it('adds the request id and trace id to lines the root logger writes during the request', async () => {
    const { logger, lines } = captureLogger();
    const context = createLogContext(request);
    context.run(() => {
      logger.info('synchronous line');
      void delay(1).then(() => {
        logger.warn({ service: 'kms' }, 'line after an await');
      });
    });
    await delay(5);
    logger.info('line outside any request');
    const [sync, later, outside] = lines();
    assert.equal(sync?.requestId, 'req-1');
    assert.equal(sync.traceId, request.traceId);
    assert.equal(later?.requestId, 'req-1');
    assert.equal(later.traceId, request.traceId);
    assert.equal(outside?.requestId, undefined);
  });

  it('does not attribute lines to a request that has already been answered', async () => {
    const { logger, lines } = captureLogger();
    const context = createLogContext(request);
    context.run(() => {
      // A background timer started during the request, like a store probe.
      setTimeout(() => {
        logger.info('background line');
      }, 5);
    });
    context.end();
    await delay(15);
    assert.equal(lines()[0]?.msg, 'background line');
    assert.equal(lines()[0]?.requestId, undefined);
  });

  it('never repeats a request id the line or its child logger already carries', () => {
    const { logger, text, lines } = captureLogger();
    createLogContext(request).run(() => {
      logger.child({ requestId: 'req-1', traceId: request.traceId }).info('request child');
      logger.child({ requestId: 'req-1', service: 'scm' }).info('revoker child');
      logger.info({ requestId: 'req-1' }, 'names the request itself');
      logger.info({ requestId: 'req-other' }, 'names another request');
    });
    for (const line of text().trim().split('\n')) {
      assert.equal(line.match(/"requestId"/g)?.length, 1, line);
      assert.ok((line.match(/"traceId"/g)?.length ?? 0) <= 1, line);
    }
    const [child, revoker, own, other] = lines();
    assert.equal(child?.traceId, request.traceId);
    assert.equal(revoker?.traceId, request.traceId, 'the trace id is added to a bound child');
    assert.equal(own?.traceId, request.traceId);
    assert.equal(other?.requestId, 'req-other');
    assert.equal(other.traceId, undefined, "another request's line gets no foreign trace id");
  });
});
