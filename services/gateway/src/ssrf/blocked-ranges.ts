import { BlockList, isIP } from 'node:net';

/**
 * Addresses a server-side request must never reach: everything that is not the public
 * internet (IANA special-purpose registries for IPv4 and IPv6).
 */
export const BLOCKED_IPV4: readonly [string, number, string][] = [
  ['0.0.0.0', 8, '"this" network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay anycast'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved and broadcast'],
];

export const BLOCKED_IPV6: readonly [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['64:ff9b:1::', 48, 'local NAT64'],
  ['100::', 64, 'discard-only'],
  ['2001::', 23, 'IETF protocol assignments (Teredo, ORCHID…)'],
  ['2001:db8::', 32, 'documentation'],
  ['2002::', 16, '6to4'],
  ['3fff::', 20, 'documentation'],
  ['5f00::', 16, 'segment routing'],
  ['fc00::', 7, 'unique local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local (deprecated)'],
  ['ff00::', 8, 'multicast'],
];

const v4 = new BlockList();
const v6 = new BlockList();
for (const [net, prefix] of BLOCKED_IPV4) v4.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of BLOCKED_IPV6) v6.addSubnet(net, prefix, 'ipv6');

/**
 * The IPv4 address an IPv6 address carries inside it, when it does: IPv4-mapped
 * (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`, deprecated) and well-known NAT64
 * (`64:ff9b::a.b.c.d`). Such an address reaches that IPv4 host, so it is judged as one.
 */
export function embeddedIpv4(address: string): string | undefined {
  const groups = expandIpv6(address);
  if (!groups) return undefined;
  const head = groups.slice(0, 6);
  const mapped = head.slice(0, 5).every((g) => g === 0) && head[5] === 0xffff;
  const compatible = head.every((g) => g === 0) && (groups[6] !== 0 || groups[7] > 1);
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && head.slice(2).every((g) => g === 0);
  if (!mapped && !compatible && !nat64) return undefined;
  return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
}

/** Eight 16-bit groups of an IPv6 address (dotted tail allowed), or undefined when it is not one. */
function expandIpv6(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address.split('%')[0].toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = text.slice(0, -dotted[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left, right] = text.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const head = parse(left);
  const tail = parse(right);
  const zeros = text.includes('::') ? 8 - head.length - tail.length : 0;
  return [...head, ...new Array<number>(zeros).fill(0), ...tail];
}

/** The blocked range an IP address falls in (its description), or undefined for a public address. */
export function blockedRange(address: string): string | undefined {
  const family = isIP(address);
  if (family === 4) return v4.check(address, 'ipv4') ? describe(BLOCKED_IPV4, address, 'ipv4') : undefined;
  if (family !== 6) return 'not an IP address';
  const inner = embeddedIpv4(address);
  if (inner !== undefined) {
    const range = blockedRange(inner);
    return range && `${range} (embedded IPv4 ${inner})`;
  }
  return v6.check(address.split('%')[0], 'ipv6') ? describe(BLOCKED_IPV6, address, 'ipv6') : undefined;
}

function describe(table: readonly [string, number, string][], address: string, type: 'ipv4' | 'ipv6'): string {
  for (const [net, prefix, label] of table) {
    const one = new BlockList();
    one.addSubnet(net, prefix, type);
    if (one.check(address.split('%')[0], type)) return `${net}/${prefix} ${label}`;
  }
  return 'blocked';
}
