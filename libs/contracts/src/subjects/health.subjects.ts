import { z } from 'zod';
import { HealthPingRequestSchema, ServiceHealthSchema } from '../health';

export const HealthSubjects = {
  /** Scatter-gather: every instance of every service answers with its health. */
  'health.ping': { request: HealthPingRequestSchema, reply: ServiceHealthSchema },
  /** Diagnostic echo, used by the bus self-tests and benchmarks. */
  'bus.echo': {
    request: z.object({ text: z.string() }),
    reply: z.object({ text: z.string(), instanceId: z.string().optional() }),
  },
} as const;
