import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import { WebhookDeliveryProcessor } from './webhook-delivery.processor';
import { WebhookDeliveryStatements } from './webhook-delivery-statements';
import { WebhookDirectory } from './webhook-directory';
import { WebhookFanout } from './webhook-fanout';
import { WebhookSecretsController } from './webhook-secrets.controller';
import { WebhookSender } from './webhook-sender';
import { WebhookSettings } from './webhook-settings';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/** Webhook routes, event fan-out from the durable events stream, and the delivery processor. */
@Module({
  controllers: [WebhooksController, WebhookSecretsController],
  providers: [
    { provide: WebhookSettings, inject: [APP_CONFIG], useFactory: (config: AppConfig) => WebhookSettings.fromConfig(config) },
    WebhookSender,
    WebhookDeliveryStatements,
    WebhookDirectory,
    WebhooksService,
    WebhookFanout,
    WebhookDeliveryProcessor,
  ],
  exports: [WebhookSender],
})
export class WebhooksModule {}
