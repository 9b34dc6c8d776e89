import { z } from 'zod';
import { HealthSubjects } from './subjects/health.subjects';
import { InfraSubjects } from './subjects/infra.subjects';
import { InfraJobsSubjects } from './subjects/infra-jobs.subjects';
import { InfraAdminSubjects } from './subjects/infra-admin.subjects';
import { MediaSubjects } from './subjects/media.subjects';
import { SessionSubjects } from './subjects/session.subjects';
import { SimulatorSubjects } from './subjects/simulator.subjects';
import { StorageMigrationSubjects } from './subjects/storage-migration.subjects';

/**
 * Every request-reply subject, with the schemas its request and reply are validated
 * against on arrival. Nothing else in the code writes a subject string by hand.
 * One file per domain under `subjects/`, merged here.
 */
export const SubjectMap = {
  ...HealthSubjects,
  ...InfraSubjects,
  ...InfraJobsSubjects,
  ...InfraAdminSubjects,
  ...MediaSubjects,
  ...SessionSubjects,
  ...SimulatorSubjects,
  ...StorageMigrationSubjects,
} as const satisfies Record<string, { request: z.ZodType; reply: z.ZodType }>;

export type RequestSubject = keyof typeof SubjectMap;
export type RequestOf<S extends RequestSubject> = z.infer<(typeof SubjectMap)[S]['request']>;
export type ReplyOf<S extends RequestSubject> = z.infer<(typeof SubjectMap)[S]['reply']>;

/**
 * What a responder sends back on the wire: either the reply or a coded error.
 * A malformed request gets `{ ok: false, error: { code: 'VALIDATION_FAILED' } }`.
 */
export const ReplyEnvelopeSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), data: z.unknown() }),
  z.object({
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  }),
]);
export type ReplyEnvelope = z.infer<typeof ReplyEnvelopeSchema>;
