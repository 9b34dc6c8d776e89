import { z } from 'zod';

/** What `infra.migrate` did: the schema version now in force and the migrations this call applied. */
export const MigrateReplySchema = z.object({
  databaseType: z.enum(['sqlite', 'postgres']),
  schemaVersion: z.number().int().nullable(),
  /** Names of the migrations applied by this call; always empty on SQLite, whose schema is synced at boot. */
  applied: z.array(z.string()),
});
export type MigrateReply = z.infer<typeof MigrateReplySchema>;

export const InfraAdminSubjects = {
  /** Applies pending PostgreSQL migrations under the advisory lock (any infra-admin answers). */
  'infra.migrate': { request: z.object({}).strict(), reply: MigrateReplySchema },
} as const;
