import { Module } from '@nestjs/common';
import { HealthModule } from '@plugboard/service-kit';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { KeysModule } from './keys/keys.module';
import { OpenApiModule } from './openapi/openapi.module';
import { GatewayHealthController } from './gateway-health.controller';
import { HealthCollector } from './health-collector';
import { InfraStatusController } from './infra-status.controller';
import { SessionsModule } from './sessions/sessions.module';
import { GatewayMediaModule } from './media/media.module';
import { GatewayStorageMigrationModule } from './storage-migration/storage-migration.module';
import { WebhooksModule } from './webhooks/webhooks.module';

/** The public HTTP API: platform health, admin infrastructure status. */
@Module({
  imports: [HealthModule, AuthModule, AuditModule, KeysModule, OpenApiModule, SessionsModule, GatewayMediaModule, GatewayStorageMigrationModule, WebhooksModule],
  controllers: [GatewayHealthController, InfraStatusController],
  providers: [HealthCollector],
})
export class GatewayModule {}
