import { Module } from '@nestjs/common';
import { EngineModule } from '../engine/engine.module';
import { EngineRegistry } from '../engine/engine-registry';
import { SessionCommands } from './session-commands';
import { SessionEngines } from './session-engines';
import { SessionSupervisor } from './session-supervisor';
import { SendsInFlight } from './sends-in-flight';
import { DrainHttpController } from './drain-http.controller';
import { SessionsController } from './sessions.controller';

/** Session lifecycle and leases on this worker, and the session requests it answers. */
@Module({
  // The engine socket (global); imported here too so this feature never boots without it.
  imports: [EngineModule],
  controllers: [SessionsController, DrainHttpController],
  providers: [SessionSupervisor, SessionCommands, SendsInFlight, { provide: SessionEngines, useExisting: EngineRegistry }],
  exports: [SessionSupervisor, SessionCommands, SendsInFlight],
})
export class SessionsModule {}
