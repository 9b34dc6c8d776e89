import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { blockedRange } from './blocked-ranges';
import { SsrfBlockedError } from './ssrf.errors';

/** One address a host name resolves to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all its addresses; injectable so tests never need real DNS. */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface SsrfOptions {
  /** Host names or IPs allowed although private (`SSRF_ALLOWED_HOSTS`). */
  allowedHosts?: readonly string[];
  /** Defaults to `dns.lookup` with `all: true`. */
  resolve?: HostResolver;
}

/** A URL that passed the guard, with the one address every connection for it must use. */
export interface VettedUrl {
  url: URL;
  /** Host name without IPv6 brackets, lower case. */
  hostname: string;
  address: string;
  family: 4 | 6;
}

/** `dns.lookup` with `all: true`: what the guard uses when no resolver is injected. */
export const systemResolver: HostResolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/** Parses `SSRF_ALLOWED_HOSTS` (comma list) into normalised entries. */
export function parseAllowedHosts(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((entry) => normaliseHost(entry.trim()))
    .filter(Boolean);
}

/**
 * Refuses a URL a server-side request must not reach: anything but http(s), user info, and
 * any host that is or resolves to a non-public address (every address is checked: one bad
 * answer among good ones is enough to refuse). Returns the vetted address to pin the
 * connection to, so a second DNS answer can never redirect it (rebinding).
 */
export async function assertPublicUrl(raw: string | URL, options: SsrfOptions = {}): Promise<VettedUrl> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SsrfBlockedError('not a valid URL', { reason: 'invalid_url' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SsrfBlockedError(`only http and https URLs are allowed, not ${url.protocol}`, { reason: 'scheme' });
  }
  if (url.username || url.password) {
    throw new SsrfBlockedError('URLs with credentials are not allowed', { reason: 'credentials' });
  }
  const hostname = normaliseHost(url.hostname);
  const allowed = new Set(options.allowedHosts ?? []);
  const literal = isIP(hostname);
  let addresses: ResolvedAddress[];
  if (literal) {
    addresses = [{ address: hostname, family: literal === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await (options.resolve ?? systemResolver)(hostname);
    } catch (error) {
      throw new SsrfBlockedError(`host ${hostname} does not resolve`, { reason: 'unresolvable', host: hostname, ...causeOf(error) });
    }
    if (addresses.length === 0) throw new SsrfBlockedError(`host ${hostname} does not resolve`, { reason: 'unresolvable', host: hostname });
  }
  if (!allowed.has(hostname)) {
    for (const { address } of addresses) {
      if (allowed.has(normaliseHost(address))) continue;
      const range = blockedRange(address);
      if (range) {
        throw new SsrfBlockedError(`${hostname} resolves to a non-public address (${range})`, {
          reason: 'blocked_address',
          host: hostname,
          address,
          range,
        });
      }
    }
  }
  return { url, hostname, address: addresses[0].address, family: addresses[0].family };
}

export interface PinnedDispatcherOptions {
  /** Connect timeout. */
  connectTimeoutMs?: number;
  /** How long an idle connection is kept for the next request (default 4 s). */
  keepAliveMs?: number;
}

/**
 * An undici dispatcher whose every connection goes to the vetted address: its `lookup`
 * answers with that address instead of asking DNS again. TLS still verifies the host name
 * (SNI and certificate use the URL's host). Connections are kept alive between requests,
 * so reuse it for the same vetted host (see PinnedDispatcherPool) and close it when done.
 */
export function createPinnedDispatcher(target: VettedUrl, options: PinnedDispatcherOptions = {}): Dispatcher {
  return new Agent({
    connect: {
      timeout: options.connectTimeoutMs,
      lookup: (_hostname, lookupOptions, callback) => {
        // Node asks for `all` when it races address families (autoSelectFamily).
        if ((lookupOptions as { all?: boolean }).all) callback(null, [{ address: target.address, family: target.family }]);
        else callback(null, target.address, target.family);
      },
    },
    keepAliveTimeout: options.keepAliveMs ?? 4_000,
    keepAliveMaxTimeout: options.keepAliveMs ?? 4_000,
  });
}

/** Lower case, without IPv6 brackets or a trailing dot: the form allow-lists and caches compare. */
export function normaliseHost(host: string): string {
  return host.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
}

function causeOf(error: unknown): { cause?: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? { cause: code } : {};
}
