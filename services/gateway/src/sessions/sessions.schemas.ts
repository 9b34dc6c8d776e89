import { SessionViewSchema, SimulatorInboundRequestSchema } from '@plugboard/contracts';
import { z } from 'zod';
import { schemaFor } from '../openapi/schema-for-type';
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
