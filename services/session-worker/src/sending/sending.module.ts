import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { SendJobsProcessor } from './send-jobs.processor';
import { SendLoops } from './send-loops';

/** Sending: the send loops of owned sessions and the consumer of the send queues. */
@Module({
  imports: [SessionsModule],
  providers: [SendLoops, SendJobsProcessor],
  exports: [SendLoops],
})
export class SendingModule {}
