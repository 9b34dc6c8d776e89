import { Module } from '@nestjs/common';
import { HealthModule } from '@plugboard/service-kit';
import { SessionsModule } from './sessions/sessions.module';
import { SessionMetricsModule } from './metrics/session-metrics.module';
import { MediaClientModule } from './media/media-client.module';
import { InboundModule } from './inbound/inbound.module';
import { SendingModule } from './sending/sending.module';

/** session-worker: for now it only reports its health; its sockets and handlers come later. */
@Module({ imports: [HealthModule, SessionsModule, SessionMetricsModule, MediaClientModule, InboundModule, SendingModule] })
export class SessionWorkerModule {}
