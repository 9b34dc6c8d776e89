import { isIP } from 'node:net';
import { z } from 'zod';

/*
 * Building blocks of the config schema. Every field reads a raw environment string; an empty
 * or blank string counts as unset, so `PORT=` in a .env file falls back to the default.
 */

const BLANK_IS_UNSET = (raw: unknown): unknown => {
  if (typeof raw !== 'string') return raw;
  const trimmed = raw.trim();
  return trimmed === '' ? undefined : trimmed;
};

/** Raw string in, parsed value out; `raw` is declared as the env default, so it is parsed too. */
function withDefault<T extends z.ZodType<unknown, string>>(field: T, raw: string) {
  return z.preprocess(BLANK_IS_UNSET, field.prefault(raw as z.input<T>));
}

function optional<T extends z.ZodType<unknown, string>>(field: T) {
  return z.preprocess(BLANK_IS_UNSET, field.optional());
}

function enumField<const V extends readonly [string, ...string[]]>(values: V) {
  return z.enum(values, { error: `must be one of ${values.join(', ')}` });
}

/** Exactly `true` or `false`: "yes", "1" and "TRUE" are refused, so a typo never flips a switch. */
const booleanField = z
  .enum(['true', 'false'], { error: 'must be true or false' })
  .transform((raw) => raw === 'true');

function integerField({ min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {}) {
  return z.string().transform((raw, ctx) => {
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value)) {
      ctx.addIssue({ code: 'custom', message: 'must be a whole number (digits only)' });
      return z.NEVER;
    }
    if (value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
      ctx.addIssue({ code: 'custom', message: `must be ${range}` });
      return z.NEVER;
    }
    return value;
  });
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `30m`, `24h`, `7d` (also `s`), parsed to milliseconds. */
const durationField = z.string().transform((raw, ctx) => {
  const match = /^(\d+)([smhd])$/.exec(raw);
  const amount = match ? Number(match[1]) : 0;
  if (!match || amount === 0) {
    ctx.addIssue({ code: 'custom', message: 'must be a positive duration such as 30m, 24h or 7d (units s, m, h, d)' });
    return z.NEVER;
  }
  return amount * UNIT_MS[match[2] as keyof typeof UNIT_MS];
});

function patternField(pattern: RegExp, message: string) {
  return z.string().regex(pattern, { error: message });
}

/** A comma-separated list, each entry one of `values`; duplicates collapse. */
function listField<const V extends readonly [string, ...string[]]>(values: V) {
  return z.string().transform((raw, ctx) => {
    const items = [...new Set(raw.split(',').map((item) => item.trim()).filter(Boolean))];
    const unknown = items.filter((item) => !values.includes(item));
    if (items.length === 0 || unknown.length > 0) {
      const found = unknown.length > 0 ? `unknown ${unknown.map((u) => `"${u}"`).join(', ')}: ` : '';
      ctx.addIssue({
        code: 'custom',
        message: `${found}must be a comma-separated list of ${values.join(', ')}`,
        params: { accepted: [...values] },
      });
      return z.NEVER;
    }
    return items as V[number][];
  });
}

/** Scheme, optional credentials, host, explicit numeric port; WebSocket URLs may carry a path. */
const NATS_SERVER = /^(nats|tls|ws|wss):\/\/(?:[^@/\s]+@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})(\/\S*)?$/;

/** One NATS server or a comma-separated cluster list, kept as an array for the client's `servers`. */
const natsUrlsField = z.string().transform((raw, ctx) => {
  const servers = raw.split(',').map((item) => item.trim()).filter(Boolean);
  const bad = servers.filter((server) => {
    const match = NATS_SERVER.exec(server);
    const port = match ? Number(match[3]) : 0;
    const pathAllowed = match?.[1] === 'ws' || match?.[1] === 'wss';
    return !match || port < 1 || port > 65535 || (match[4] !== undefined && !pathAllowed);
  });
  if (servers.length === 0 || bad.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: 'each entry must be nats://, tls://, ws:// or wss:// with a host and a numeric port, e.g. nats://127.0.0.1:4222',
    });
    return z.NEVER;
  }
  return servers;
});

/** An http(s) URL with a host, e.g. an S3 endpoint. */
const httpUrlField = z.string().refine(
  (raw) => {
    try {
      const url = new URL(raw);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
    } catch {
      return false;
    }
  },
  { error: 'must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:9000' },
);

/** What Fastify's `trustProxy` takes: no proxy, every hop, a hop count, or the trusted proxies' addresses. */
type TrustProxy = boolean | number | string[];

/** The named ranges Fastify's proxy-addr expands (loopback = 127.0.0.1/8 and ::1). */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** An IP, or an IP with a prefix length; proxy-addr refuses a prefix of 0, so it is refused here too. */
function isIpOrCidr(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) >= 1 && Number(prefix) <= (version === 4 ? 32 : 128);
}

/** `false`, `true`, a hop count (`0` is off) or a comma-separated list of proxy IPs/CIDRs. */
const trustProxyField = z.string().transform((raw, ctx): TrustProxy => {
  if (raw === 'false' || raw === 'true') return raw === 'true';
  if (/^\d+$/.test(raw) && Number.isSafeInteger(Number(raw))) return Number(raw) === 0 ? false : Number(raw);
  const entries = raw.split(',').map((item) => item.trim()).filter(Boolean);
  const bad = entries.filter((entry) => !PROXY_RANGE_NAMES.includes(entry) && !isIpOrCidr(entry));
  if (entries.length === 0 || bad.length > 0) {
    const found = bad.length > 0 ? `not an IP or CIDR: ${bad.map((b) => `"${b}"`).join(', ')}; ` : '';
    ctx.addIssue({
      code: 'custom',
      message: `${found}must be false, true, a hop count or a comma-separated list of proxy IPs/CIDRs (or ${PROXY_RANGE_NAMES.join(', ')})`,
    });
    return z.NEVER;
  }
  return entries;
});

/** Fields of the config schema, each taking the raw env string. */
export const field = {
  string: (raw: string) => withDefault(z.string(), raw),
  optionalString: () => optional(z.string()),
  pattern: (pattern: RegExp, message: string, raw?: string) =>
    raw === undefined ? optional(patternField(pattern, message)) : withDefault(patternField(pattern, message), raw),
  minLength: (min: number) => optional(z.string().min(min, { error: `must be at least ${min} characters long` })),
  enum: <const V extends readonly [string, ...string[]]>(values: V, raw: V[number]) => withDefault(enumField(values), raw),
  boolean: (raw: 'true' | 'false') => withDefault(booleanField, raw),
  optionalBoolean: () => optional(booleanField),
  integer: (raw: string, range?: { min?: number; max?: number }) => withDefault(integerField(range), raw),
  optionalInteger: (range?: { min?: number; max?: number }) => optional(integerField(range)),
  port: (raw: string) => withDefault(integerField({ min: 1, max: 65535 }), raw),
  optionalPort: () => optional(integerField({ min: 1, max: 65535 })),
  duration: (raw: string) => withDefault(durationField, raw),
  list: <const V extends readonly [string, ...string[]]>(values: V) => withDefault(listField(values), values.join(',')),
  natsUrls: () => optional(natsUrlsField),
  httpUrl: () => optional(httpUrlField),
  trustProxy: (raw: 'false') => withDefault(trustProxyField, raw),
};
