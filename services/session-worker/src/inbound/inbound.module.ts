import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { InboundRecorder } from './inbound-recorder';

/** Received messages, acks and revokes of the sessions this worker runs: stored and published. */
@Module({ imports: [SessionsModule], providers: [InboundRecorder], exports: [InboundRecorder] })
export class InboundModule {}
