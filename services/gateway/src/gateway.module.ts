import { Module } from '@nestjs/common';
import { HealthModule } from '@plugboard/service-kit';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { KeysModule } from './keys/keys.module';
import { OpenApiModule } from './openapi/openapi.module';
import { GatewayHealthController } from './gateway-health.controller';
import { HealthCollector } from './health-collector';
import { InfraStatusController } from './infra-status.controller';
import { InfraConfigController } from './infra/config.controller';
import { InfraRestartController } from './infra/restart.controller';
import { DrainController } from './infra/drain.controller';
import { MigrateController } from './infra/migrate.controller';
import { GatewayDataTransferModule } from './infra/data-transfer.module';
import { SessionsModule } from './sessions/sessions.module';
import { GatewayMediaModule } from './media/media.module';
import { GatewayStorageMigrationModule } from './storage-migration/storage-migration.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { MessagesModule } from './messages/messages.module';
import { EventsModule } from './events/events.module';

/** The public HTTP API: platform health, admin infrastructure status. */
@Module({
  imports: [HealthModule, AuthModule, AuditModule, KeysModule, OpenApiModule, SessionsModule, GatewayMediaModule, GatewayStorageMigrationModule, GatewayDataTransferModule, WebhooksModule, MessagesModule, EventsModule],
  controllers: [GatewayHealthController, InfraStatusController, InfraConfigController, InfraRestartController, DrainController, MigrateController],
  providers: [HealthCollector],
})
export class GatewayModule {}
