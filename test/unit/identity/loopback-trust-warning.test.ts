// trusted-headers with a loopback CIDR: in a pod, every container is "127.0.0.1", so the gateway
// warns at start-up and names the safer setup (the user's token, verified in jwt mode).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.ts';
import { createCallerResolver } from '../../../src/identity/create-caller-resolver.ts';
import { loopbackCidrs } from '../../../src/identity/loopback-trust-warning.ts';
import { capturingLogger } from './support.ts';

function warningsFor(trustedProxies: string[]): { msg: string; trustedProxies: string[] }[] {
  const identity = configSchema.shape.identity.parse({ mode: 'trusted-headers', trustedProxies });
  const capture = capturingLogger();
  createCallerResolver(identity, { logger: capture.logger });
  return capture
    .output()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { level: string; msg: string; trustedProxies: string[] })
    .filter((line) => line.level === 'warn');
}

describe('trusted headers from loopback', () => {
  it('warns at start-up, naming the CIDRs, the risk and the jwt alternative', () => {
    const [warning, ...more] = warningsFor(['10.0.0.0/8', '127.0.0.1/32', '::1']);
    assert.equal(more.length, 0);
    assert.ok(warning);
    assert.deepEqual(warning.trustedProxies, ['127.0.0.1/32', '::1']);
    assert.match(warning.msg, /every container of the pod/);
    assert.match(warning.msg, /--pass-authorization-header/);
    assert.match(warning.msg, /RESCIND_IDENTITY_MODE=jwt/);
  });

  it('stays quiet when only the proxy network is trusted', () => {
    assert.deepEqual(warningsFor(['10.0.0.0/8', 'fd00::/8']), []);
  });

  it('counts every network that holds a loopback address', () => {
    assert.deepEqual(
      loopbackCidrs([
        '127.0.0.0/8',
        '127.0.0.2',
        '::ffff:127.0.0.1',
        '0.0.0.0/0',
        '::/0',
        '::1/128',
      ]),
      ['127.0.0.0/8', '127.0.0.2', '::ffff:127.0.0.1', '0.0.0.0/0', '::/0', '::1/128'],
    );
    assert.deepEqual(loopbackCidrs(['10.0.0.0/8', '192.168.0.0/16', 'fd00::/8']), []);
  });
});
