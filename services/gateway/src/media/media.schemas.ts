import { MediaDirectionSchema, MediaIdSchema, MediaRecordSchema, SessionIdSchema } from '@plugboard/contracts';
import { z } from 'zod';

export const UploadQuerySchema = z.object({
  sessionId: SessionIdSchema.optional().describe('The session the file belongs to; a key limited to some sessions must name one'),
  filename: z.string().min(1).max(255).optional().describe("The file's name; overrides the filename of a multipart part"),
  direction: MediaDirectionSchema.optional(),
});

export const ListQuerySchema = z.object({
  sessionId: SessionIdSchema.optional().describe('Only files of this session; a key limited to some sessions must name one'),
  cursor: z.string().min(1).max(200).optional().describe('`nextCursor` of the previous page'),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

export const IdSchema = z.object({ id: MediaIdSchema });

/** The 201 answer of an upload: enough to send the file in a message and to check it arrived whole. */
export const MediaUploadedSchema = MediaRecordSchema.pick({ id: true, size: true, sha256: true, mimeType: true });
export type MediaUploaded = z.infer<typeof MediaUploadedSchema>;
