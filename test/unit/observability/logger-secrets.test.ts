// The logger scrubs the gateway's own secrets from every string of every line — fields, errors,
// the message and its arguments — in whatever form they come back.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { captureLogger } from '../../helpers/log-capture.ts';

const PASSWORD = 'Log-Canary+pw/93xq';

describe('createLogger with secrets', () => {
  test('scrubs fields, nested values, errors, the message and its arguments', () => {
    const { logger, text } = captureLogger('trace', [PASSWORD]);
    const base64 = Buffer.from(`svc:${PASSWORD}`).toString('base64');
    logger.warn(
      {
        reason: `login failed for ${PASSWORD.slice(0, 10)}`,
        nested: { deeper: [`url postgres://svc:${encodeURIComponent(PASSWORD)}@db/audit`] },
        err: new Error(`driver said ${base64}`),
      },
      'store failing: %s',
      `quoted ${PASSWORD.slice(4)}`,
    );
    logger.info(`message with ${PASSWORD}`);
    const out = text();
    for (const piece of [PASSWORD.slice(0, 8), PASSWORD.slice(4, 12), base64.slice(4, 16)]) {
      assert.ok(!out.includes(piece), `no "${piece}" in ${out}`);
    }
    assert.match(out, /store failing: quoted \[REDACTED\]/);
    assert.match(out, /message with \[REDACTED\]/);
    assert.match(out, /"reason":"login failed for \[REDACTED\]"/);
  });

  test('without secrets, strings pass unchanged', () => {
    const { logger, text } = captureLogger('trace', []);
    logger.info({ reason: PASSWORD }, 'plain');
    assert.ok(text().includes(PASSWORD));
  });
});
