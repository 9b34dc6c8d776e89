import { BlockList, isIP } from 'node:net';

/** True for `a.b.c.d/n` or an IPv6 `addr/n` with a prefix length that fits the family, or a single address. */
export function isCidr(value: string): boolean {
  const [address, bits, ...rest] = value.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * True when `ip` lies in one of `ranges` (CIDRs or single addresses, IPv4 and IPv6), or
 * `ranges` is empty. An IPv4-mapped IPv6 client (`::ffff:10.0.0.1`) matches IPv4 ranges.
 */
export function ipAllowed(ip: string, ranges: readonly string[]): boolean {
  if (ranges.length === 0) return true;
  const list = new BlockList();
  for (const range of ranges) {
    if (!isCidr(range)) continue;
    const [address, bits] = range.split('/') as [string, string | undefined];
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    list.addSubnet(address, bits === undefined ? (type === 'ipv4' ? 32 : 128) : Number(bits), type);
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const client = mapped?.[1] ?? ip;
  const family = isIP(client);
  if (family === 0) return false;
  return list.check(client, family === 4 ? 'ipv4' : 'ipv6');
}
