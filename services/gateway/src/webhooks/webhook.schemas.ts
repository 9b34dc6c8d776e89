import { ErrorCode, EVENT_TYPES } from '@plugboard/contracts';
import { WEBHOOK_DELIVERY_STATUSES } from '@plugboard/database';
import { ServiceError } from '@plugboard/service-kit';
import { z } from 'zod';
import { isValidWebhookSecret } from './webhook-signature';

/** Headers we set on every delivery (or that frame the request): a webhook may not override them. */
export const RESERVED_HEADERS = [
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'content-type',
  'content-length',
  'user-agent',
  'host',
  'connection',
  'transfer-encoding',
] as const;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
/** No control characters: CR/LF would let a value inject further headers. */
const isHeaderValue = (value: string) => value.length <= 4096 && ![...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

const EventsSchema = z.union([z.tuple([z.literal('*')]), z.array(z.enum(EVENT_TYPES)).min(1)]).transform((events) => [...new Set<string>(events)]);

const HeadersSchema = z
  .record(z.string().regex(HEADER_NAME, 'must be an HTTP header name'), z.string().refine(isHeaderValue, 'must not contain control characters (at most 4096 characters)'))
  .superRefine((headers, ctx) => {
    for (const name of Object.keys(headers)) {
      if ((RESERVED_HEADERS as readonly string[]).includes(name.toLowerCase())) {
        ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" is set by Plugboard and cannot be overridden` });
      }
    }
    if (Object.keys(headers).length > 32) ctx.addIssue({ code: 'custom', message: 'at most 32 custom headers' });
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
