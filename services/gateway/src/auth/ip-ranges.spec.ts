import { ipAllowed, isCidr } from './ip-ranges';

describe('ip ranges', () => {
  it('validates IPv4 and IPv6 CIDRs and single addresses', () => {
    for (const ok of ['10.0.0.0/8', '192.168.1.7', '::1', '2001:db8::/32', '0.0.0.0/0', '::/0']) expect(isCidr(ok)).toBe(true);
    for (const bad of ['10.0.0.0/33', '2001:db8::/129', 'example.com', '10.0.0.0/8/1', '10.0.0/8', '', '1.2.3.4/x']) expect(isCidr(bad)).toBe(false);
  });

  it('matches clients against ranges; empty means any; IPv4-mapped IPv6 matches IPv4 ranges', () => {
    expect(ipAllowed('203.0.113.9', [])).toBe(true);
    expect(ipAllowed('10.1.2.3', ['10.0.0.0/8'])).toBe(true);
    expect(ipAllowed('11.1.2.3', ['10.0.0.0/8'])).toBe(false);
    expect(ipAllowed('::ffff:10.1.2.3', ['10.0.0.0/8'])).toBe(true);
    expect(ipAllowed('2001:db8::5', ['2001:db8::/32'])).toBe(true);
    expect(ipAllowed('2001:db9::5', ['2001:db8::/32', '10.0.0.0/8'])).toBe(false);
    expect(ipAllowed('127.0.0.1', ['127.0.0.1'])).toBe(true);
    expect(ipAllowed('not-an-ip', ['0.0.0.0/0'])).toBe(false);
  });
});
