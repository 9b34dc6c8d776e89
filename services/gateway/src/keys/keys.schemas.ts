import { z } from 'zod';
import { isCidr } from '../auth/ip-ranges';
import { ROLES } from '../auth/roles';

export const CreateKeyBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  role: z.enum(ROLES),
  sessionIds: z.array(z.string().min(1).max(100)).max(1000).default([]).describe('Sessions the key may use; empty = all'),
  ipRanges: z
    .array(z.string().refine(isCidr, 'must be an IPv4 or IPv6 address or CIDR range'))
    .max(100)
    .default([])
    .describe('Client addresses (CIDR, IPv4 and IPv6) the key may be used from; empty = any'),
  expiresAt: z.iso
    .datetime({ offset: true })
    .refine((value) => Date.parse(value) > Date.now(), 'must be in the future')
    .optional(),
});
export type CreateKeyBody = z.output<typeof CreateKeyBodySchema>;

export const KeyIdSchema = z.uuid();

export const KeyViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().describe('First characters of the key, to tell keys apart'),
  role: z.enum(ROLES),
  sessionIds: z.array(z.string()),
  ipRanges: z.array(z.string()),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  active: z.boolean(),
});
export type KeyView = z.infer<typeof KeyViewSchema>;

export const CreatedKeySchema = KeyViewSchema.extend({
  key: z.string().describe('The plain key: shown only in this response, store it now'),
});
export type CreatedKey = z.infer<typeof CreatedKeySchema>;

export const KeyListSchema = z.object({ items: z.array(KeyViewSchema) });
export type KeyList = z.infer<typeof KeyListSchema>;
