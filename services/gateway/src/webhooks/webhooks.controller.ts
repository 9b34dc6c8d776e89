import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AuditService } from '../audit/audit.service';
import { RequireRole } from '../auth/require-role.decorator';
import { allowedSessionIds } from '../auth/session-scope';
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
@Controller('api')
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhooksService,
    private readonly audit: AuditService,
  ) {}

  @Post('sessions/:id/webhooks')
  @RequireRole('operator')
  async create(@Req() request: FastifyRequest, @Param('id') sessionId: string, @Body() body: unknown) {
    const created = await this.webhooks.create(parse(IdParamSchema, sessionId, 'session id'), parse(CreateWebhookSchema, body ?? {}, 'webhook'));
    await this.audit.record(request, 'webhook.created', created.id, { sessionId: created.sessionId, url: created.url });
    return created;
  }

  @Get('sessions/:id/webhooks')
  @RequireRole('viewer')
  async list(@Param('id') sessionId: string) {
    return { items: await this.webhooks.listForSession(parse(IdParamSchema, sessionId, 'session id')) };
  }

  @Get('webhooks/:id')
  @RequireRole('operator')
  get(@Req() request: FastifyRequest, @Param('id') id: string) {
    return this.webhooks.get(parse(IdParamSchema, id, 'webhook id'), allowedSessionIds(request));
  }

  @Put('webhooks/:id')
  @RequireRole('operator')
  async update(@Req() request: FastifyRequest, @Param('id') id: string, @Body() body: unknown) {
    const changes = parse(UpdateWebhookSchema, body ?? {}, 'webhook changes');
    const updated = await this.webhooks.update(parse(IdParamSchema, id, 'webhook id'), changes, allowedSessionIds(request));
    await this.audit.record(request, 'webhook.changed', id, { sessionId: updated.sessionId, url: updated.url });
    return updated;
  }

  @Delete('webhooks/:id')
  @RequireRole('operator')
  @HttpCode(204)
  async delete(@Req() request: FastifyRequest, @Param('id') id: string): Promise<void> {
    await this.webhooks.delete(parse(IdParamSchema, id, 'webhook id'), allowedSessionIds(request));
    await this.audit.record(request, 'webhook.deleted', id);
  }

  @Post('webhooks/:id/test')
  @RequireRole('operator')
  @HttpCode(200)
  test(@Req() request: FastifyRequest, @Param('id') id: string) {
    return this.webhooks.test(parse(IdParamSchema, id, 'webhook id'), allowedSessionIds(request));
  }

  @Get('webhooks/:id/deliveries')
  @RequireRole('viewer')
  deliveries(@Req() request: FastifyRequest, @Param('id') id: string, @Query() query: unknown) {
    const page = parse(ListDeliveriesQuerySchema, query ?? {}, 'query');
    return this.webhooks.deliveries(parse(IdParamSchema, id, 'webhook id'), page, allowedSessionIds(request));
  }

  @Post('webhooks/:id/deliveries/:deliveryId/redeliver')
  @RequireRole('operator')
  @HttpCode(202)
  redeliver(@Req() request: FastifyRequest, @Param('id') id: string, @Param('deliveryId') deliveryId: string) {
    const ids = { webhook: parse(IdParamSchema, id, 'webhook id'), delivery: parse(IdParamSchema, deliveryId, 'delivery id') };
    return this.webhooks.redeliver(ids.webhook, ids.delivery, allowedSessionIds(request));
  }
}
