import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { SessionMetrics } from './session-metrics';

/** The session-worker's own metrics (served on /metrics with the kit's). */
@Module({ imports: [SessionsModule], providers: [SessionMetrics] })
export class SessionMetricsModule {}
