import { Module } from '@nestjs/common';
import { GatewayMediaModule } from '../media/media.module';
import { SessionsModule } from '../sessions/sessions.module';
import { BulkBodyLimit } from './bulk-body-limit';
import { CancellationAnnouncer } from './cancellation-announcer';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';
import { OutboundMedia } from './outbound-media';

/** The send, history and bulk routes. */
@Module({
  imports: [SessionsModule, GatewayMediaModule],
  controllers: [MessagesController],
  providers: [BulkBodyLimit, CancellationAnnouncer, MessagesService, OutboundMedia],
})
export class MessagesModule {}
