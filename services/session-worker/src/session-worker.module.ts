import { Module } from '@nestjs/common';
import { HealthModule, MediaClientModule } from '@plugboard/service-kit';
import { InboundModule } from './inbound/inbound.module';
import { SessionMetricsModule } from './metrics/session-metrics.module';
import { SendingModule } from './sending/sending.module';
import { SessionsModule } from './sessions/sessions.module';

/**
 * session-worker: runs WhatsApp sessions under leases, sends what is queued for them, records
 * what they receive, and reaches the media-service through the media client.
 */
@Module({ imports: [HealthModule, SessionsModule, SessionMetricsModule, MediaClientModule, InboundModule, SendingModule] })
export class SessionWorkerModule {}
