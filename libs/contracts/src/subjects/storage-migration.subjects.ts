import { z } from 'zod';

export const STORAGE_PLUGS = ['local', 's3'] as const;
export const StoragePlugSchema = z.enum(STORAGE_PLUGS);

export const STORAGE_MIGRATION_STATES = ['idle', 'running', 'switched', 'failed'] as const;

/** Progress of a files-socket migration, as GET /api/infra/storage/migrate shows it. */
export const StorageMigrationStatusSchema = z.object({
  state: z.enum(STORAGE_MIGRATION_STATES),
  from: StoragePlugSchema.nullable(),
  to: StoragePlugSchema.nullable(),
  /** Objects written to the target in this run. */
  copied: z.number().int().nonnegative(),
  /** Objects whose bytes on the target hash to the row's sha256 (copied now, or found there from an earlier run). */
  verified: z.number().int().nonnegative(),
  /** Verified objects that were already on the target (a resumed run). */
  skipped: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
  errors: z.array(z.object({ key: z.string(), message: z.string() })),
});
export type StorageMigrationStatus = z.infer<typeof StorageMigrationStatusSchema>;

export const StorageMigrationSubjects = {
  /** Starts copying every object to the `to` plug; CONFLICT when one runs or `to` is already in use. Answers at once. */
  'media.storage.migrate': { request: z.object({ to: StoragePlugSchema }), reply: StorageMigrationStatusSchema },
  /** Progress of the current or last migration. */
  'media.storage.migration': { request: z.object({}), reply: StorageMigrationStatusSchema },
} as const;
