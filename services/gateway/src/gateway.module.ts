import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@plugboard/config';
import { HealthModule } from '@plugboard/service-kit';
import { AdminKey, resolveAdminKey } from './auth/admin-key';
import { AdminKeyGuard } from './auth/admin-key.guard';
import { GatewayHealthController } from './gateway-health.controller';
import { HealthCollector } from './health-collector';
import { InfraStatusController } from './infra-status.controller';

/** The public HTTP API: platform health, admin infrastructure status. */
@Module({
  imports: [HealthModule],
  controllers: [GatewayHealthController, InfraStatusController],
  providers: [
    HealthCollector,
    AdminKeyGuard,
    { provide: AdminKey, inject: [APP_CONFIG], useFactory: (config: AppConfig) => resolveAdminKey(config) },
  ],
})
export class GatewayModule {}
