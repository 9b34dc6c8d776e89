import { z } from 'zod';
import { SERVICE_NAMES } from '../services';

export const ServiceNameSchema = z.enum(SERVICE_NAMES);

/** The bundled backends of docker-compose, one profile each. */
export const INFRA_PROFILES = ['postgres', 'redis', 'minio', 'nats'] as const;
export const InfraProfileSchema = z.enum(INFRA_PROFILES);
export type InfraProfile = z.infer<typeof InfraProfileSchema>;

/** One variable's effective value: secrets never travel, only `<NAME>Set: boolean` does. */
const ConfigValueSchema = z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.null()]);

/** A raw value as a client may send it; numbers and booleans are written as their text. */
export const ConfigInputValueSchema = z.union([z.string(), z.number(), z.boolean()]);

/** Body of PUT /api/infra/config: section → variable → value. */
export const ConfigChangeSchema = z.record(z.string(), z.record(z.string(), ConfigInputValueSchema));

export const InfraConfigViewSchema = z.object({
  /** Effective settings per section, as the next start would load them. */
  sections: z.record(z.string(), z.record(z.string(), ConfigValueSchema)),
  /** Variables set by the process environment or `.env`: a saved change does not override them. */
  envPinned: z.array(z.string()),
  /** Where saved changes go. */
  file: z.string(),
});
export type InfraConfigView = z.infer<typeof InfraConfigViewSchema>;

export const InfraConfigWrittenSchema = z.object({
  written: z.literal(true),
  file: z.string(),
  /** Variables whose saved value changed. */
  changed: z.array(z.string()),
  /** Services reading a changed variable: they apply it once restarted. */
  restartRequired: z.array(ServiceNameSchema),
  /** Variables of the change that the environment or `.env` still overrides. */
  envPinned: z.array(z.string()),
});
export type InfraConfigWritten = z.infer<typeof InfraConfigWrittenSchema>;

export const InfraRestartRequestSchema = z
  .object({
    /** Default: all four. */
    services: z.array(ServiceNameSchema).min(1).optional(),
    /** Bundled backends to run (docker); the others are stopped. Omitted: left as they are. */
    profiles: z.array(InfraProfileSchema).optional(),
  })
  .strict();
export type InfraRestartRequest = z.infer<typeof InfraRestartRequestSchema>;

export const InfraRestartReplySchema = z.object({
  orchestrator: z.enum(['none', 'docker', 'kubernetes']),
  services: z.array(ServiceNameSchema),
  /** What was done or scheduled, one line each (`restart container plugboard-gateway-1`, …). */
  actions: z.array(z.string()),
});
export type InfraRestartReply = z.infer<typeof InfraRestartReplySchema>;

export const InfraSubjects = {
  /** Effective configuration with secrets masked. */
  'infra.config.get': { request: z.object({}), reply: InfraConfigViewSchema },
  /** Merges a change into `<DATA_DIR>/.env.generated`; VALIDATION_FAILED with `details.problems` writes nothing. */
  'infra.config.put': { request: z.object({ change: ConfigChangeSchema }), reply: InfraConfigWrittenSchema },
  /** Restarts services through the orchestrator socket; answers before the caller's own service goes down. */
  'infra.restart': { request: InfraRestartRequestSchema, reply: InfraRestartReplySchema },
} as const;

/**
 * Broadcast (plain publish, every instance of every service listens): "restart yourself" for
 * the services named. Not a request: the ones restarting could not answer.
 */
export const SERVICE_RESTART_SUBJECT = 'service.restart';
export const ServiceRestartMessageSchema = z.object({ services: z.array(ServiceNameSchema).min(1) });
export type ServiceRestartMessage = z.infer<typeof ServiceRestartMessageSchema>;
