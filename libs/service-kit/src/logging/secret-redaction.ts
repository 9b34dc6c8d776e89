import { isSecretVariable } from '@plugboard/config';

/** What a removed secret is replaced with, in fields and in text alike. */
export const REDACTED = '[redacted]';

/**
 * Field names whose values are credentials wherever they appear in a logged object: HTTP
 * headers (authorization, cookie, x-api-key), config variables (API_MASTER_KEY, *_TOKEN,
 * *_PASSWORD, *_SECRET*), key hashes and the like.
 */
const SECRET_FIELD = /authorization|cookie|passw(or)?d|secret|token|api[-_]?key|key[-_]?hash|master[-_]?key|private[-_]?key|credential|(^|[-_])key$/i;

/** Secret values shorter than this are not searched for in text: they would match ordinary words. */
const MIN_SECRET_LENGTH = 8;
const MAX_DEPTH = 8;

/** `Bearer <token>` anywhere in text, and the password of `scheme://user:password@host`. */
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
const URL_PASSWORD = /(\/\/[^/\s:@]+:)[^@\s/]+@/g;

/** True for a field name that holds a credential. */
export function isSecretField(name: string): boolean {
  return SECRET_FIELD.test(name);
}

/** A copy of `value` with every secret field replaced; errors become plain `{ type, message, stack }`. */
export function redactFields(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  if (value instanceof Error) {
    return { type: value.name, message: value.message, ...(value.stack ? { stack: value.stack } : {}) };
  }
  if (Array.isArray(value)) return value.map((item) => redactFields(item, depth + 1, seen));
  if (value instanceof Date) return value.toISOString();
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    copy[key] = isSecretField(key) && field !== undefined && field !== null && field !== '' ? REDACTED : redactFields(field, depth + 1, seen);
  }
  return copy;
}

/**
 * The actual secret values of the running configuration, removed from every log line
 * whatever field or sentence they appear in. Process-wide: embedded mode's services share
 * one stdout, and any of them may print another's config.
 */
const secretValues = new Set<string>();
let secretPatterns: string[] = [];

/**
 * Remembers the secret values of a configuration (or of `process.env`): every string of at
 * least 8 characters in a variable `isSecretVariable` names. User names are left out: they
 * grant nothing alone, and a value like `postgres` would blank out ordinary log text.
 */
export function registerSecretValues(variables: Readonly<Record<string, unknown>>): void {
  let added = false;
  for (const [name, value] of Object.entries(variables)) {
    if (!isSecretVariable(name) || name.endsWith('USERNAME')) continue;
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH || secretValues.has(value)) continue;
    secretValues.add(value);
    added = true;
  }
  if (!added) return;
  // Longest first, so a secret containing another is removed whole. The JSON-escaped form is
  // what a value with quotes or backslashes looks like inside a serialized line.
  const patterns = new Set<string>();
  for (const secret of secretValues) {
    patterns.add(secret);
    patterns.add(JSON.stringify(secret).slice(1, -1));
  }
  secretPatterns = [...patterns].sort((a, b) => b.length - a.length);
}

/** Forgets every registered value (tests). */
export function clearSecretValues(): void {
  secretValues.clear();
  secretPatterns = [];
}

/** `line` with every registered secret value, bearer token and URL password replaced by `[redacted]`. */
export function scrubSecrets(line: string): string {
  let out = line;
  for (const secret of secretPatterns) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  if (out.includes('earer')) out = out.replace(BEARER, `$1${REDACTED}`);
  if (out.includes('@')) out = out.replace(URL_PASSWORD, `$1${REDACTED}@`);
  return out;
}
