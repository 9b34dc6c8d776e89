import { z } from 'zod';
import { SERVICE_NAMES } from './services';

export const HealthStatusSchema = z.enum(['up', 'degraded', 'down']);
export type HealthStatus = z.infer<typeof HealthStatusSchema>;

/** The state of one socket (bus, queue, database, cache, files, engine) as its plug sees it. */
export const SocketHealthSchema = z.object({
  socket: z.string(),
  plug: z.string(),
  status: HealthStatusSchema,
  latencyMs: z.number().nonnegative().optional(),
  detail: z.string().optional(),
});
export type SocketHealth = z.infer<typeof SocketHealthSchema>;

/** What one instance of one service answers to `health.ping`. */
export const ServiceHealthSchema = z.object({
  service: z.enum(SERVICE_NAMES),
  instanceId: z.string(),
  version: z.string(),
  uptimeSeconds: z.number().nonnegative(),
  status: HealthStatusSchema,
  ready: z.boolean(),
  sockets: z.array(SocketHealthSchema),
});
export type ServiceHealth = z.infer<typeof ServiceHealthSchema>;

export const HealthPingRequestSchema = z.object({}).strict();

/** Worst of the given states: one `down` socket makes the whole `down`, and so on. */
export function worstStatus(statuses: Iterable<HealthStatus>): HealthStatus {
  let worst: HealthStatus = 'up';
  for (const s of statuses) {
    if (s === 'down') return 'down';
    if (s === 'degraded') worst = 'degraded';
  }
  return worst;
}
