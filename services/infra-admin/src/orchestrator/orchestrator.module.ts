import { Module } from '@nestjs/common';
import { APP_CONFIG } from '@plugboard/config';
import { BusPort } from '@plugboard/messaging';
import { createOrchestrator } from './orchestrator.factory';
import { OrchestratorPort } from './orchestrator.port';
import { RestartController } from './restart.controller';

/** The orchestrator socket (ORCHESTRATOR=none|docker|kubernetes) and the `infra.restart` handler. */
@Module({
  controllers: [RestartController],
  providers: [{ provide: OrchestratorPort, useFactory: createOrchestrator, inject: [APP_CONFIG, BusPort] }],
  exports: [OrchestratorPort],
})
export class OrchestratorModule {}
