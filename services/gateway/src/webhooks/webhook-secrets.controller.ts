import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AuditService } from '../audit/audit.service';
import { RequireRole } from '../auth/require-role.decorator';
import { allowedSessionIds } from '../auth/session-scope';
import { apiBody, apiResponse } from '../openapi/api-schema.decorators';
import { type RotatedWebhookSecret, RotateWebhookSecretSchema, RotatedWebhookSecretSchema } from './webhook-secrets.schemas';
import { IdParamSchema, parseWebhookInput as parse } from './webhook.schemas';
import { WebhooksService } from './webhooks.service';

/** Signing secret rotation (Standard Webhooks): the webhook's session must be in the key's scope. */
@ApiTags('webhooks')
@Controller('api')
export class WebhookSecretsController {
  constructor(
    private readonly webhooks: WebhooksService,
    private readonly audit: AuditService,
  ) {}

  /** 200 with the new secret, shown this once; the previous one signs too until previousSecretExpiresAt. */
  @Post('webhooks/:id/secret/rotate')
  @RequireRole('operator')
  @HttpCode(200)
  @apiBody(RotateWebhookSecretSchema)
  @apiResponse(200, RotatedWebhookSecretSchema)
  async rotate(@Req() request: FastifyRequest, @Param('id') id: string, @Body() body: unknown): Promise<RotatedWebhookSecret> {
    const input = parse(RotateWebhookSecretSchema, body ?? {}, 'secret rotation');
    const rotated = await this.webhooks.rotateSecret(parse(IdParamSchema, id, 'webhook id'), input, allowedSessionIds(request));
    // Never the secret itself.
    await this.audit.record(request, 'webhook.secret.rotated', id, {
      sessionId: rotated.sessionId,
      generated: input.secret === undefined,
      graceSeconds: input.graceSeconds,
      previousSecretExpiresAt: rotated.previousSecretExpiresAt,
    });
    return { id: rotated.id, secret: rotated.secret, previousSecretExpiresAt: rotated.previousSecretExpiresAt };
  }
}
