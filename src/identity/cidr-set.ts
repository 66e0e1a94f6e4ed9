import { isIP } from 'node:net';

/** A set of IPv4 and IPv6 networks that can say whether a TCP peer is inside one of them. */
export interface CidrSet {
  has(address: string | undefined): boolean;
}

interface Network {
  readonly family: 4 | 6;
  readonly base: bigint;
  readonly mask: bigint;
}

interface ParsedAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
  /** Leading bits that a mapped IPv6 address spends on the `::ffff:0:0/96` prefix. */
  readonly mappedBits: number;
}

const IPV4_BITS = 32;
const IPV6_BITS = 128;
const IPV4_MAPPED_PREFIX = 0xffffn << 32n;

/**
 * Builds the set from `10.0.0.0/8`, `fd00::/8`, `127.0.0.1` (a /32) or `::1` (a /128).
 *
 * An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, which is how a dual-stack socket reports an
 * IPv4 peer) is the IPv4 address it maps, both as a peer and in a CIDR. A network matches peers
 * of its own family only: `::/0` trusts every IPv6 peer, not every IPv4 one too.
 * Host bits below the prefix are ignored (`10.1.2.3/8` is `10.0.0.0/8`).
 */
export function createCidrSet(cidrs: readonly string[]): CidrSet {
  const networks = cidrs.map(parseCidr);
  return {
    has(address) {
      if (address === undefined) return false;
      const peer = parseAddress(address);
      if (peer === undefined) return false;
      return networks.some(
        (network) => network.family === peer.family && (peer.value & network.mask) === network.base,
      );
    },
  };
}

function parseCidr(cidr: string): Network {
  const [text, prefixText, ...rest] = cidr.trim().split('/');
  const address = text === undefined ? undefined : parseAddress(text);
  if (address === undefined || rest.length > 0) throw new TypeError(`not a CIDR: ${cidr}`);
  if (prefixText === undefined) {
    return {
      family: address.family,
      base: address.value,
      mask: prefixMask(bitsOf(address), address),
    };
  }
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (
    !(prefix <= IPV6_BITS) ||
    (address.family === 4 && address.mappedBits === 0 && prefix > IPV4_BITS)
  )
    throw new TypeError(`not a CIDR: ${cidr}`);
  if (address.mappedBits > 0 && prefix < address.mappedBits) {
    // Wider than `::ffff:0:0/96`: an IPv6 network after all.
    const value = IPV4_MAPPED_PREFIX | address.value;
    const mask = prefixMask(prefix, { family: 6, value, mappedBits: 0 });
    return { family: 6, base: value & mask, mask };
  }
  // A prefix on a mapped address counts the 96 bits of `::ffff:0:0/96` too.
  const mask = prefixMask(prefix - address.mappedBits, address);
  return { family: address.family, base: address.value & mask, mask };
}

function bitsOf(address: ParsedAddress): number {
  return address.family === 4 ? IPV4_BITS : IPV6_BITS;
}

function prefixMask(prefix: number, address: ParsedAddress): bigint {
  const bits = bitsOf(address);
  const all = (1n << BigInt(bits)) - 1n;
  return (all << BigInt(bits - prefix)) & all;
}

function parseAddress(text: string): ParsedAddress | undefined {
  // A zone (`fe80::1%eth0`) names an interface, not part of the address.
  const address = text.includes('%') ? text.slice(0, text.indexOf('%')) : text;
  const family = isIP(address);
  if (family === 4) return { family: 4, value: BigInt(parseIpv4(address)), mappedBits: 0 };
  if (family !== 6) return undefined;
  const value = parseIpv6(address);
  if (value >> 32n === 0xffffn) {
    return { family: 4, value: value & 0xffffffffn, mappedBits: IPV6_BITS - IPV4_BITS };
  }
  return { family: 6, value, mappedBits: 0 };
}

function parseIpv4(address: string): number {
  return address.split('.').reduce((value, octet) => ((value << 8) | Number(octet)) >>> 0, 0);
}

/** Expects an address `isIP` accepted as IPv6 (zone removed). */
function parseIpv6(address: string): bigint {
  let text = address;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIpv4(tail);
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  const left = halves[0] ? halves[0].split(':') : [];
  const right = halves[1] ? halves[1].split(':') : [];
  const zeros = halves.length === 2 ? 8 - left.length - right.length : 0;
  const words = [...left, ...Array.from({ length: zeros }, () => '0'), ...right];
  return words.reduce((value, word) => (value << 16n) | BigInt(parseInt(word, 16)), 0n);
}
