import type { Dispatcher } from 'undici';
import { type HostResolver, type PinnedDispatcherOptions, type ResolvedAddress, type VettedUrl, assertPublicUrl, createPinnedDispatcher, systemResolver } from './ssrf-guard';

export interface PinnedDispatcherPoolOptions extends PinnedDispatcherOptions {
  /** Host names or IPs allowed although private (`SSRF_ALLOWED_HOSTS`). */
  allowedHosts?: readonly string[];
  /** Defaults to `dns.lookup` with `all: true`. */
  resolve?: HostResolver;
  /** How long a DNS answer is reused, and how long an unused dispatcher is kept (default 30 s). */
  ttlMs?: number;
  /** Makes the dispatcher of a vetted target (default: createPinnedDispatcher). */
  create?: (target: VettedUrl) => Dispatcher;
}

/** A vetted URL and the dispatcher pinned to its address: pass both to undici's `request`. */
export interface PinnedTarget {
  target: VettedUrl;
  dispatcher: Dispatcher;
}

interface CachedAnswer {
  addresses: Promise<ResolvedAddress[]>;
  expiresAt: number;
}

interface PooledDispatcher {
  dispatcher: Dispatcher;
  lastUsed: number;
}

/**
 * Reuses connections to webhook receivers without weakening the SSRF guard: every acquire
 * runs the guard (scheme, credentials, blocked ranges, allow-list), DNS answers are reused
 * for `ttlMs` only and vetted again when they expire, and one keep-alive dispatcher exists
 * per (host, vetted address), so a connection can only ever go to an address that passed.
 */
export class PinnedDispatcherPool {
  private readonly answers = new Map<string, CachedAnswer>();
  private readonly dispatchers = new Map<string, PooledDispatcher>();
  private readonly ttlMs: number;
  private nextSweep = 0;
  private closed = false;

  constructor(private readonly options: PinnedDispatcherPoolOptions = {}) {
    this.ttlMs = options.ttlMs ?? 30_000;
  }

  /** Vets `url` (throws SsrfBlockedError before any connection) and returns the dispatcher pinned to its address. */
  async acquire(url: string | URL): Promise<PinnedTarget> {
    const target = await assertPublicUrl(url, { allowedHosts: this.options.allowedHosts, resolve: this.resolve });
    // A dispatcher made after close would be closed by no one, its kept-alive sockets holding the process.
    if (this.closed) throw new Error('the webhook connection pool is closed');
    const now = Date.now();
    this.sweep(now);
    const key = `${target.hostname}|${target.address}`;
    let pooled = this.dispatchers.get(key);
    if (!pooled) {
      const create = this.options.create ?? ((t: VettedUrl) => createPinnedDispatcher(t, this.options));
      pooled = { dispatcher: create(target), lastUsed: now };
      this.dispatchers.set(key, pooled);
    }
    pooled.lastUsed = now;
    return { target, dispatcher: pooled.dispatcher };
  }

  /** Closes every dispatcher, letting requests already sent finish; later acquires fail. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.dispatchers.values()];
    this.dispatchers.clear();
    this.answers.clear();
    await Promise.all(all.map(({ dispatcher }) => dispatcher.close().catch(() => undefined)));
  }

  /** One lookup per host name per TTL, shared by concurrent callers; a failed lookup is not kept. */
  private readonly resolve: HostResolver = (hostname) => {
    const now = Date.now();
    const cached = this.answers.get(hostname);
    if (cached && cached.expiresAt > now) return cached.addresses;
    const entry: CachedAnswer = { addresses: (this.options.resolve ?? systemResolver)(hostname), expiresAt: now + this.ttlMs };
    this.answers.set(hostname, entry);
    entry.addresses.catch(() => {
      if (this.answers.get(hostname) === entry) this.answers.delete(hostname);
    });
    return entry.addresses;
  };

  /** Drops expired answers and closes dispatchers unused for a TTL (a host that moved leaves its old one idle). */
  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + this.ttlMs;
    for (const [hostname, answer] of this.answers) if (answer.expiresAt <= now) this.answers.delete(hostname);
    for (const [key, pooled] of this.dispatchers) {
      if (now - pooled.lastUsed < this.ttlMs) continue;
      this.dispatchers.delete(key);
      void pooled.dispatcher.close().catch(() => undefined);
    }
  }
}
