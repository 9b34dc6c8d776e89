import { SessionStatusSchema, SessionViewSchema, SimulatorInboundRequestSchema } from '@plugboard/contracts';
import { z } from 'zod';
import { schemaFor } from '../openapi/schema-for-type';
import type { MessageTally, SessionStats } from './session-stats';
import type { SessionStatusBody } from './session-status-cache';

/** The answer of `GET /api/sessions/:id/status`, for the OpenAPI document. */
export const SessionStatusBodySchema = schemaFor<SessionStatusBody>()(SessionViewSchema.pick({ id: true, status: true }));

/**
 * The simulator's inbound message as the route takes it: the contract's fields but `sessionId`,
 * which comes from the path. Built from the shape, as zod cannot omit from a refined object.
 */
export const SimulatorInboundBodySchema = z
  .strictObject(SimulatorInboundRequestSchema.shape)
  .omit({ sessionId: true })
  .describe('`media` is required for image, video, audio and document; `location` for location; `body` for text and contact');

const count = z.number().int().nonnegative();

const MessageTallySchema = schemaFor<MessageTally>()(
  z.object({
    incoming: count.describe('Messages received'),
    outgoing: count.describe('Messages sent or to send, whatever became of them'),
    failed: count.describe('Outgoing messages now failed'),
    pending: count.describe('Outgoing messages not yet handed to WhatsApp (pending or sending)'),
  }),
);

/** The answer of `GET /api/sessions/stats`, for the OpenAPI document. */
export const SessionStatsSchema = schemaFor<SessionStats>()(
  z
    .object({
      generatedAt: z.iso.datetime(),
      since: z.iso.datetime().describe('Start of the window the message counts cover: generatedAt minus 24 h'),
      totals: z.object({
        sessions: count,
        byStatus: z.record(SessionStatusSchema, count).describe('Sessions in each status, every status listed'),
        messages: MessageTallySchema,
      }),
      sessions: z.array(z.object({ id: z.string(), name: z.string(), status: SessionStatusSchema, messages: MessageTallySchema })),
    })
    .describe("Message counts of the last 24 h by created time, per session and in total; a key limited to some sessions sees those, totals included. Cached for CACHE_TTL_SESSIONS_STATS_S"),
);
