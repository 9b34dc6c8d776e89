import { Controller, Get, Headers, Query, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ErrorCode, EVENT_TYPES } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequireRole } from '../auth/require-role.decorator';
import { allowedSessionIds } from '../auth/session-scope';
import { apiTextResponse } from '../openapi/api-content.decorators';
import { type EventStreamQuery, parseEventStreamQuery } from './event-stream-query';
import { EventStreams } from './event-streams';

/** What the stream carries, for the OpenAPI document (its body is a stream of frames, not one JSON value). */
const SSE_FRAMES = [
  'Server-Sent Events, one frame per event: `id: <stream sequence>`, `event: <type>`, `data: <event envelope as JSON>`.',
  'On a resume from a point the stream no longer holds, `event: reset` with `data: { reason, lastEventId, resumeFrom }` comes first.',
  'Admin keys that do not filter by type also get `event: infra.job` frames (no id) with `data: { id, kind, state, progress }`.',
  'Comment lines (`:`) keep the connection open.',
].join(' ');

/** Live WhatsApp events over Server-Sent Events. */
@ApiTags('events')
@Controller('api/events')
export class EventsController {
  constructor(private readonly streams: EventStreams) {}

  /**
   * `text/event-stream`: each event as `id: <stream sequence>`, `event: <type>`, `data: <envelope>`.
   * Reconnect with `Last-Event-ID` (or `?lastEventId=`) to resume right after the last event seen;
   * when the stream no longer holds that point, `event: reset` (`{ reason, lastEventId, resumeFrom }`) comes first.
   * Admin keys also get `event: infra.job` progress frames (no id) unless they filter by type.
   */
  @Get()
  @RequireRole('viewer')
  @ApiQuery({ name: 'sessionId', required: false, description: 'Only these sessions: repeat it or give a comma list', schema: { type: 'string' } })
  @ApiQuery({ name: 'types', required: false, description: `Comma list of event types: ${EVENT_TYPES.join(', ')}`, schema: { type: 'string' } })
  @ApiQuery({ name: 'lastEventId', required: false, description: 'Resume point for clients that cannot send Last-Event-ID', schema: { type: 'string' } })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Stream sequence of the last event received: resume after it' })
  @apiTextResponse(200, 'text/event-stream', SSE_FRAMES)
  async stream(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Query() query: Record<string, unknown>,
    @Headers('last-event-id') lastEventId: string | undefined,
  ): Promise<void> {
    const wanted = scoped(request, parseEventStreamQuery(query ?? {}, lastEventId));
    const headers = reply.getHeaders() as Record<string, string | number | string[]>;
    await this.streams.stream(reply.raw, {
      query: wanted,
      infraJobs: request.apiKey?.role === 'admin' && wanted.types === undefined,
      headers,
    });
    // The response is written by the stream from here on, not by Fastify.
    reply.hijack();
  }
}

/** A key limited to some sessions sees only those: naming another is 403, naming none means all of its own. */
function scoped(request: FastifyRequest, query: EventStreamQuery): EventStreamQuery {
  const allowed = allowedSessionIds(request);
  if (!allowed) return query;
  if (!query.sessionIds) return { ...query, sessionIds: new Set(allowed) };
  const outside = [...query.sessionIds].filter((id) => !allowed.includes(id));
  if (outside.length > 0) {
    throw new ServiceError(ErrorCode.Forbidden, 'this API key is not allowed to use these sessions', { sessionIds: outside });
  }
  return query;
}
