import { z } from 'zod';

export const INFRA_JOB_KINDS = ['export', 'import'] as const;
export const INFRA_JOB_STATES = ['running', 'completed', 'failed', 'cancelled'] as const;
export type InfraJobKind = (typeof INFRA_JOB_KINDS)[number];
export type InfraJobState = (typeof INFRA_JOB_STATES)[number];

/** How far a long admin job got; rate and ETA are null until there is something to measure. */
export const InfraJobProgressSchema = z.object({
  done: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  unit: z.enum(['rows', 'bytes']),
  ratePerSecond: z.number().nonnegative().nullable(),
  etaSeconds: z.number().nonnegative().nullable(),
});
export type InfraJobProgress = z.infer<typeof InfraJobProgressSchema>;

/** A long admin job (data export or import) as `GET /api/infra/jobs/:id` shows it. */
export const InfraJobSchema = z.object({
  id: z.string(),
  kind: z.enum(INFRA_JOB_KINDS),
  state: z.enum(INFRA_JOB_STATES),
  progress: InfraJobProgressSchema,
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  /** Kind-specific facts: import mode, rows per table… */
  details: z.record(z.string(), z.unknown()),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type InfraJob = z.infer<typeof InfraJobSchema>;

/** Published (plain bus publish, no replay) at most every 500 ms per job and on every state change. */
export const INFRA_JOBS_PROGRESS_SUBJECT = 'infra.jobs.progress';
export const InfraJobProgressEventSchema = z.object({
  id: z.string(),
  kind: z.enum(INFRA_JOB_KINDS),
  state: z.enum(INFRA_JOB_STATES),
  progress: InfraJobProgressSchema,
});
export type InfraJobProgressEvent = z.infer<typeof InfraJobProgressEventSchema>;

const JobIdRequestSchema = z.object({ id: z.string().min(1).max(64) }).strict();

export const InfraJobsSubjects = {
  /** One job, running or finished; NOT_FOUND when unknown (jobs live in infra-admin's memory). */
  'infra.jobs.get': { request: JobIdRequestSchema, reply: InfraJobSchema },
  /** Running jobs and the most recent finished ones, newest first. */
  'infra.jobs.list': { request: z.object({}).strict(), reply: z.object({ jobs: z.array(InfraJobSchema) }) },
  /** Cancels a running job (an import rolls back); CONFLICT when it already finished. */
  'infra.jobs.cancel': { request: JobIdRequestSchema, reply: InfraJobSchema },
} as const;
