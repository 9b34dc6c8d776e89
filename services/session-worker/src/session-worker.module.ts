import { Module } from '@nestjs/common';
import { HealthModule } from '@plugboard/service-kit';

/** session-worker: for now it only reports its health; its sockets and handlers come later. */
@Module({ imports: [HealthModule] })
export class SessionWorkerModule {}
