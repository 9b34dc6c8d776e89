import { Module } from '@nestjs/common';
import { EventStreams } from './event-streams';
import { EventsController } from './events.controller';
import { InfraJobRelay } from './infra-job-relay';

/** `GET /api/events`: Server-Sent Events from the durable events stream, plus admin job progress. */
@Module({
  controllers: [EventsController],
  providers: [EventStreams, InfraJobRelay],
  exports: [EventStreams],
})
export class EventsModule {}
