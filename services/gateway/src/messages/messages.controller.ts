import { applyDecorators, Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiResponse, ApiTags } from '@nestjs/swagger';
import { BulkSendRequestSchema, type MessageView, MessageViewSchema, SendMessageRequestSchema } from '@plugboard/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { RequireRole } from '../auth/require-role.decorator';
import { allowedSessionIds } from '../auth/session-scope';
import { apiBody, apiQuery, apiResponse } from '../openapi/api-schema.decorators';
import { openApiSchema } from '../openapi/zod-json-schema';
import { zodParam, zodQuery } from '../validation/zod-pipe';
import { type Accepted, IDEMPOTENT_REPLAYED_HEADER, parseIdempotencyKey } from './idempotency-keys';
import {
  type BatchProgress,
  BatchIdParamSchema,
  BatchProgressSchema,
  type BatchQuery,
  BatchQuerySchema,
  type BulkAccepted,
  BulkAcceptedSchema,
  type HistoryQuery,
  HistoryQuerySchema,
  MessageIdParamSchema,
  type MessagePage,
  MessagePageSchema,
  type SendAccepted,
  SendAcceptedSchema,
  SessionParamSchema,
} from './messages.schemas';
import { MessagesService } from './messages.service';

/** Sending (one message or a bulk batch), history, one message's timeline, batch progress and cancel. */
@ApiTags('messages')
@Controller('api/sessions/:id')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  /** 202 `{ id, status }`; the same Idempotency-Key within IDEMPOTENCY_WINDOW answers the first message. */
  @Post('messages')
  @RequireRole('operator')
  @apiBody(SendMessageRequestSchema)
  @idempotentSend(SendAcceptedSchema, 'Accepted: the message waits in the send queue', 'message')
  async send(
    @Param('id', zodParam(SessionParamSchema)) sessionId: string,
    @Headers('idempotency-key') key: string | undefined,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SendAccepted> {
    return answer(reply, await this.messages.send(sessionId, body, parseIdempotencyKey(key), allowedSessionIds(request)));
  }

  /** Newest first; filters chatId, direction, type, status, from (inclusive), to (exclusive); `nextCursor` pages on. */
  @Get('messages')
  @RequireRole('viewer')
  @apiQuery(HistoryQuerySchema)
  @apiResponse(200, MessagePageSchema)
  history(
    @Param('id', zodParam(SessionParamSchema)) sessionId: string,
    @Query(zodQuery(HistoryQuerySchema)) query: HistoryQuery,
  ): Promise<MessagePage> {
    return this.messages.history(sessionId, query);
  }

  /** 202 `{ batchId, total }`: at most BULK_MAX_MESSAGES, spaced `delayMs` apart; the same Idempotency-Key answers the first batch. */
  @Post('messages/bulk')
  @RequireRole('operator')
  @apiBody(BulkSendRequestSchema)
  @idempotentSend(BulkAcceptedSchema, 'Accepted: the batch and all its messages are stored', 'batch')
  async bulk(
    @Param('id', zodParam(SessionParamSchema)) sessionId: string,
    @Headers('idempotency-key') key: string | undefined,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<BulkAccepted> {
    return answer(reply, await this.messages.sendBulk(sessionId, body, parseIdempotencyKey(key), allowedSessionIds(request)));
  }

  /** The message with its status timeline. */
  @Get('messages/:messageId')
  @RequireRole('viewer')
  @apiResponse(200, MessageViewSchema)
  get(
    @Param('id', zodParam(SessionParamSchema)) sessionId: string,
    @Param('messageId', zodParam(MessageIdParamSchema)) messageId: string,
  ): Promise<MessageView> {
    return this.messages.get(sessionId, messageId);
  }

  /** Progress counts and per-message results (paged with `limit`/`cursor`). */
  @Get('batches/:batchId')
  @RequireRole('viewer')
  @apiQuery(BatchQuerySchema)
  @apiResponse(200, BatchProgressSchema)
  batch(
    @Param('id', zodParam(SessionParamSchema)) sessionId: string,
    @Param('batchId', zodParam(BatchIdParamSchema)) batchId: string,
    @Query(zodQuery(BatchQuerySchema)) query: BatchQuery,
  ): Promise<BatchProgress> {
    return this.messages.batch(sessionId, batchId, query);
  }

  /** Messages not sent yet become `failed` (`batch_cancelled`); answers the progress after cancelling. */
  @Post('batches/:batchId/cancel')
  @HttpCode(200)
  @RequireRole('operator')
  @apiResponse(200, BatchProgressSchema)
  cancel(
    @Param('id', zodParam(SessionParamSchema)) sessionId: string,
    @Param('batchId', zodParam(BatchIdParamSchema)) batchId: string,
  ): Promise<BatchProgress> {
    return this.messages.cancelBatch(sessionId, batchId);
  }
}

/** A send route: 202, the Idempotency-Key it takes, and the header that marks a replayed answer. */
function idempotentSend(schema: z.ZodType, description: string, first: 'message' | 'batch'): MethodDecorator {
  return applyDecorators(
    HttpCode(202),
    ApiHeader({ name: 'Idempotency-Key', required: false, description: `1-255 printable characters; repeats return the first ${first}` }),
    ApiResponse({
      status: 202,
      description,
      schema: openApiSchema(schema),
      headers: {
        [IDEMPOTENT_REPLAYED_HEADER]: {
          description: '`true` when this answers an earlier request with the same Idempotency-Key (nothing new was created); absent otherwise',
          schema: { type: 'string', enum: ['true'] },
        },
      },
    }),
  );
}

/** The body of an accepted send; a replay also gets IDEMPOTENT_REPLAYED_HEADER. */
function answer<T>(reply: FastifyReply, accepted: Accepted<T>): T {
  if (accepted.replayed) reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
  return accepted.body;
}
