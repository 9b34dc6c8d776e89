import { MediaDirectionSchema } from '@plugboard/contracts';
import { z } from 'zod';

/** Name of the first entry of a media backup, and the folder of the objects after it. */
export const MANIFEST_ENTRY = 'manifest.json';
export const OBJECTS_FOLDER = 'objects/';
export const ARCHIVE_FORMAT = 'plugboard-media';
export const ARCHIVE_VERSION = 1;
/** The manifest is read into memory: bounded well above what 100k entries need. */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

export const ArchiveObjectSchema = z.object({
  id: z.uuid(),
  key: z.string().min(1).max(1024),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  mimeType: z.string().min(1).max(255),
  direction: MediaDirectionSchema,
  sessionId: z.string().max(64).nullable(),
  messageId: z.string().max(255).nullable(),
  filename: z.string().max(255).nullable(),
  createdAt: z.iso.datetime(),
});
export type ArchiveObject = z.infer<typeof ArchiveObjectSchema>;

/** `manifest.json`: written first from the media table, so every object's sha256 is known before its bytes. */
export const ArchiveManifestSchema = z.object({
  format: z.literal(ARCHIVE_FORMAT),
  version: z.literal(ARCHIVE_VERSION),
  createdAt: z.iso.datetime(),
  objects: z.array(ArchiveObjectSchema),
});
export type ArchiveManifest = z.infer<typeof ArchiveManifestSchema>;
