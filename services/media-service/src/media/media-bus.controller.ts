import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { ReplyOf, RequestOf } from '@plugboard/contracts';
import { MediaStore } from './media-store';

/** Metadata over the bus (bytes never travel there): get, list, delete. */
@Controller()
export class MediaBusController {
  constructor(private readonly store: MediaStore) {}

  @MessagePattern('media.get')
  get(@Payload() request: RequestOf<'media.get'>): Promise<ReplyOf<'media.get'>> {
    return this.store.get(request.id);
  }

  @MessagePattern('media.list')
  list(@Payload() request: RequestOf<'media.list'>): Promise<ReplyOf<'media.list'>> {
    return this.store.list(request);
  }

  @MessagePattern('media.delete')
  delete(@Payload() request: RequestOf<'media.delete'>): Promise<ReplyOf<'media.delete'>> {
    return this.store.delete(request.id);
  }
}
