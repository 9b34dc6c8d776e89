import { Module } from '@nestjs/common';
import { ConfigAdminController } from './config-admin.controller';
import { ConfigAdminService } from './config-admin.service';

/** The saved configuration (`.env.generated`): shown and changed through the bus. */
@Module({
  controllers: [ConfigAdminController],
  providers: [{ provide: ConfigAdminService, useFactory: () => new ConfigAdminService() }],
})
export class ConfigAdminModule {}
