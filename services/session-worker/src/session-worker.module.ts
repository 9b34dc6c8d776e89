import { Module } from '@nestjs/common';
import { HealthModule } from '@plugboard/service-kit';
import { SessionsModule } from './sessions/sessions.module';

/** session-worker: for now it only reports its health; its sockets and handlers come later. */
@Module({ imports: [HealthModule, SessionsModule] })
export class SessionWorkerModule {}
