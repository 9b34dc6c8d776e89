import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AuditService } from '../audit/audit.service';
import { RequireRole } from '../auth/require-role.decorator';
import { allowedSessionIds } from '../auth/session-scope';
import { apiBody, apiQuery, apiResponse } from '../openapi/api-schema.decorators';
import {
  type CreatedWebhook,
  CreatedWebhookSchema,
  type WebhookDeliveryPage,
  WebhookDeliveryPageSchema,
  WebhookDeliveryViewSchema,
  type WebhookList,
  WebhookListSchema,
  type WebhookTestResult,
  WebhookTestResultSchema,
  WebhookViewSchema,
} from './webhook-responses.schemas';
import type { WebhookDeliveryView, WebhookView } from './webhook-views';
import {
  CreateWebhookSchema,
  IdParamSchema,
  ListDeliveriesQuerySchema,
  UpdateWebhookSchema,
  parseWebhookInput as parse,
} from './webhook.schemas';
import { WebhooksService } from './webhooks.service';

/**
 * Webhooks of a session and their deliveries (the dead-letter list is `?status=dead`). A key
 * limited to some sessions reaches only their webhooks: the guard checks the session routes,
 * the service the webhook's session on the routes by webhook id.
 */
@ApiTags('webhooks')
@Controller('api')
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhooksService,
    private readonly audit: AuditService,
  ) {}

  /** 201 with the signing secret, shown this once (generated unless given). */
  @Post('sessions/:id/webhooks')
  @RequireRole('operator')
  @apiBody(CreateWebhookSchema)
  @apiResponse(201, CreatedWebhookSchema)
  async create(@Req() request: FastifyRequest, @Param('id') sessionId: string, @Body() body: unknown): Promise<CreatedWebhook> {
    const created = await this.webhooks.create(parse(IdParamSchema, sessionId, 'session id'), parse(CreateWebhookSchema, body ?? {}, 'webhook'));
    await this.audit.record(request, 'webhook.created', created.id, { sessionId: created.sessionId, url: created.url });
    return created;
  }

  @Get('sessions/:id/webhooks')
  @RequireRole('viewer')
  @apiResponse(200, WebhookListSchema)
  async list(@Param('id') sessionId: string): Promise<WebhookList> {
    return { items: await this.webhooks.listForSession(parse(IdParamSchema, sessionId, 'session id')) };
  }

  @Get('webhooks/:id')
  @RequireRole('operator')
  @apiResponse(200, WebhookViewSchema)
  get(@Req() request: FastifyRequest, @Param('id') id: string): Promise<WebhookView> {
    return this.webhooks.get(parse(IdParamSchema, id, 'webhook id'), allowedSessionIds(request));
  }

  /** Only the fields given change; `headers` replaces the whole set. */
  @Put('webhooks/:id')
  @RequireRole('operator')
  @apiBody(UpdateWebhookSchema)
  @apiResponse(200, WebhookViewSchema)
  async update(@Req() request: FastifyRequest, @Param('id') id: string, @Body() body: unknown): Promise<WebhookView> {
    const changes = parse(UpdateWebhookSchema, body ?? {}, 'webhook changes');
    const updated = await this.webhooks.update(parse(IdParamSchema, id, 'webhook id'), changes, allowedSessionIds(request));
    await this.audit.record(request, 'webhook.changed', id, { sessionId: updated.sessionId, url: updated.url });
    return updated;
  }

  @Delete('webhooks/:id')
  @RequireRole('operator')
  @HttpCode(204)
  @apiResponse(204)
  async delete(@Req() request: FastifyRequest, @Param('id') id: string): Promise<void> {
    await this.webhooks.delete(parse(IdParamSchema, id, 'webhook id'), allowedSessionIds(request));
    await this.audit.record(request, 'webhook.deleted', id);
  }

  @Post('webhooks/:id/test')
  @RequireRole('operator')
  @HttpCode(200)
  @apiResponse(200, WebhookTestResultSchema, "The receiver's answer (or why there was none); a failed test is still 200")
  test(@Req() request: FastifyRequest, @Param('id') id: string): Promise<WebhookTestResult> {
    return this.webhooks.test(parse(IdParamSchema, id, 'webhook id'), allowedSessionIds(request));
  }

  @Get('webhooks/:id/deliveries')
  @RequireRole('viewer')
  @apiQuery(ListDeliveriesQuerySchema)
  @apiResponse(200, WebhookDeliveryPageSchema)
  deliveries(@Req() request: FastifyRequest, @Param('id') id: string, @Query() query: unknown): Promise<WebhookDeliveryPage> {
    const page = parse(ListDeliveriesQuerySchema, query ?? {}, 'query');
    return this.webhooks.deliveries(parse(IdParamSchema, id, 'webhook id'), page, allowedSessionIds(request));
  }

  @Post('webhooks/:id/deliveries/:deliveryId/redeliver')
  @RequireRole('operator')
  @HttpCode(202)
  @apiResponse(202, WebhookDeliveryViewSchema, 'Accepted: a new round of tries is queued')
  redeliver(@Req() request: FastifyRequest, @Param('id') id: string, @Param('deliveryId') deliveryId: string): Promise<WebhookDeliveryView> {
    const ids = { webhook: parse(IdParamSchema, id, 'webhook id'), delivery: parse(IdParamSchema, deliveryId, 'delivery id') };
    return this.webhooks.redeliver(ids.webhook, ids.delivery, allowedSessionIds(request));
  }
}
