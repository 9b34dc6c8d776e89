import { z } from 'zod';

export const MEDIA_DIRECTIONS = ['inbound', 'outbound'] as const;
export const MediaDirectionSchema = z.enum(MEDIA_DIRECTIONS);
export type MediaDirection = z.infer<typeof MediaDirectionSchema>;

/** Media ids are UUIDs: they end up in storage keys and URLs. */
export const MediaIdSchema = z.uuid();

/** One stored file as the `media` table knows it. */
export const MediaRecordSchema = z.object({
  id: MediaIdSchema,
  sessionId: z.string().nullable(),
  messageId: z.string().nullable(),
  direction: MediaDirectionSchema,
  key: z.string(),
  mimeType: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  filename: z.string().nullable(),
  createdAt: z.iso.datetime(),
});
export type MediaRecord = z.infer<typeof MediaRecordSchema>;

export const MediaListRequestSchema = z.object({
  sessionId: z.string().min(1).max(64).optional(),
  cursor: z.string().min(1).max(200).optional(),
  limit: z.number().int().min(1).max(500).optional(),
});

export const MediaSubjects = {
  /** Metadata of one file; NOT_FOUND when unknown. */
  'media.get': { request: z.object({ id: MediaIdSchema }), reply: MediaRecordSchema },
  /** Newest first, keyset paginated: pass `nextCursor` back as `cursor`. */
  'media.list': {
    request: MediaListRequestSchema,
    reply: z.object({ items: z.array(MediaRecordSchema), nextCursor: z.string().nullable() }),
  },
  /** Removes the file and its row; NOT_FOUND when unknown. */
  'media.delete': { request: z.object({ id: MediaIdSchema }), reply: z.object({ id: MediaIdSchema, deleted: z.literal(true) }) },
} as const;
