import { ErrorCode, EVENT_TYPES } from '@plugboard/contracts';
import { WEBHOOK_DELIVERY_STATUSES } from '@plugboard/database';
import { ServiceError } from '@plugboard/service-kit';
import { z } from 'zod';
import { isValidWebhookSecret } from './webhook-signature';

/** Headers we set on every delivery: a webhook may not override them. */
export const RESERVED_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type', 'user-agent'] as const;

/**
 * Headers of the connection rather than the message: undici (our HTTP client) refuses
 * transfer-encoding, keep-alive, upgrade and expect outright and frames the request itself, so
 * a webhook holding one would fail every delivery until it is dead-lettered.
 */
export const CONNECTION_HEADERS = [
  'host',
  'content-length',
  'connection',
  'transfer-encoding',
  'keep-alive',
  'upgrade',
  'expect',
  'te',
  'trailer',
  'proxy-connection',
] as const;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
/** The characters undici sends (it also takes a tab), so no control character: CR/LF would inject further headers. */
const HEADER_VALUE = /^[\x20-\x7e\x80-\xff]{0,4096}$/;
const MAX_HEADERS = 32;

/** Why a custom header can never be sent, naming it; undefined when it can. */
function headerProblem(name: string, value: string): string | undefined {
  const quoted = JSON.stringify(name);
  const lower = name.toLowerCase();
  if (!HEADER_NAME.test(name)) return `${quoted} is not an HTTP header name (1 to 128 letters, digits or !#$%&'*+.^_\`|~-)`;
  if ((RESERVED_HEADERS as readonly string[]).includes(lower)) return `${quoted} is set by Plugboard and cannot be overridden`;
  if ((CONNECTION_HEADERS as readonly string[]).includes(lower)) return `${quoted} belongs to the connection, which the HTTP client manages: it cannot be sent`;
  if (!HEADER_VALUE.test(value)) {
    return `the value of ${quoted} must be at most 4096 printable ASCII or Latin-1 characters, without control characters such as CR or LF`;
  }
  return undefined;
}

const EventsSchema = z.union([z.tuple([z.literal('*')]), z.array(z.enum(EVENT_TYPES)).min(1)]).transform((events) => [...new Set<string>(events)]);

const HeadersSchema = z
  .record(z.string(), z.string())
  .superRefine((headers, ctx) => {
    for (const [name, value] of Object.entries(headers)) {
      const message = headerProblem(name, value);
      if (message !== undefined) ctx.addIssue({ code: 'custom', path: [name], message });
    }
    if (Object.keys(headers).length > MAX_HEADERS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_HEADERS} custom headers` });
  })
  .transform((headers) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])));

const UrlSchema = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048);

const RetrySchema = z.strictObject({
  attempts: z.number().int().min(1).max(20).default(8),
  backoffMs: z.number().int().min(1).max(3_600_000).default(1000),
});

export const CreateWebhookSchema = z.strictObject({
  url: UrlSchema,
  events: EventsSchema,
  secret: z.string().refine(isValidWebhookSecret, 'must be whsec_ followed by base64 of 24 to 64 bytes').optional(),
  headers: HeadersSchema.default({}),
  active: z.boolean().default(true),
  retry: RetrySchema.default({ attempts: 8, backoffMs: 1000 }),
});
export type CreateWebhookInput = z.output<typeof CreateWebhookSchema>;

export const UpdateWebhookSchema = z.strictObject({
  url: UrlSchema.optional(),
  events: EventsSchema.optional(),
  headers: HeadersSchema.optional(),
  active: z.boolean().optional(),
  retry: z
    .strictObject({ attempts: z.number().int().min(1).max(20).optional(), backoffMs: z.number().int().min(1).max(3_600_000).optional() })
    .optional(),
});
export type UpdateWebhookInput = z.output<typeof UpdateWebhookSchema>;

export const ListDeliveriesQuerySchema = z.strictObject({
  status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(200).optional(),
});

export const IdParamSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "-" and "_" only');

/** Parses a body, param or query; a mismatch is 400 VALIDATION_FAILED listing every issue. */
export function parseWebhookInput<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  throw new ServiceError(ErrorCode.ValidationFailed, `invalid ${what}`, { issues });
}
