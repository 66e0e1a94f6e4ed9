import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCidrSet } from '../../../src/identity/cidr-set.ts';

describe('createCidrSet', () => {
  const cases: readonly [cidrs: string[], address: string | undefined, inside: boolean][] = [
    [['10.0.0.0/8'], '10.255.1.2', true],
    [['10.0.0.0/8'], '11.0.0.1', false],
    [['192.168.1.0/24'], '192.168.1.255', true],
    [['192.168.1.0/24'], '192.168.2.0', false],
    [['192.168.1.7'], '192.168.1.7', true],
    [['192.168.1.7'], '192.168.1.8', false],
    [['0.0.0.0/0'], '203.0.113.9', true],
    [['10.1.2.3/8'], '10.9.9.9', true],
    [['127.0.0.1/32'], '::ffff:127.0.0.1', true],
    [['127.0.0.1/32'], '::ffff:7f00:1', true],
    [['127.0.0.0/8'], '::ffff:127.0.0.2', true],
    [['::ffff:10.0.0.0/104'], '10.3.4.5', true],
    [['::ffff:10.0.0.0/104'], '11.3.4.5', false],
    [['::ffff:127.0.0.1'], '127.0.0.1', true],
    [['::1'], '::1', true],
    [['::1/128'], '::2', false],
    [['::1'], '127.0.0.1', false],
    [['fd00::/8'], 'fd12:3456::1', true],
    [['fd00::/8'], 'fe80::1', false],
    [['2001:db8::/32'], '2001:db8:ffff:ffff::1', true],
    [['2001:db8::/32'], '2001:db9::1', false],
    [['2001:db8:0:0:1::/80'], '2001:db8::1:0:0:7', true],
    [['fe80::/10'], 'fe80::1%eth0', true],
    [['::/0'], '2001:db8::1', true],
    // A network trusts peers of its own family only: ::/0 is every IPv6 peer, not IPv4 ones.
    [['::/0'], '203.0.113.9', false],
    [['::/0'], '::ffff:203.0.113.9', false],
    [['0.0.0.0/0'], '2001:db8::1', false],
    [['10.0.0.0/8', 'fd00::/8'], 'fd00::1', true],
    [['10.0.0.0/8', 'fd00::/8'], '10.0.0.1', true],
    [['10.0.0.0/8', 'fd00::/8'], '172.16.0.1', false],
    [['10.0.0.0/8'], undefined, false],
    [['10.0.0.0/8'], 'not-an-address', false],
    [['10.0.0.0/8'], '10.0.0.1:443', false],
    [[], '127.0.0.1', false],
  ];

  for (const [cidrs, address, inside] of cases) {
    test(`${String(address)} is ${inside ? 'inside' : 'outside'} [${cidrs.join(', ')}]`, () => {
      assert.equal(createCidrSet(cidrs).has(address), inside);
    });
  }

  test('refuses what is not a CIDR', () => {
    for (const cidr of ['10.0.0.0/33', '::1/129', 'example.com', '10.0.0.0/8/8', '10.0.0.0/x']) {
      assert.throws(() => createCidrSet([cidr]), /not a CIDR/, cidr);
    }
  });
});
