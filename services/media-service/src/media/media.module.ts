import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { MediaStreams } from '@plugboard/contracts';
import type { FastifyInstance } from 'fastify';
import { InProcessMediaStreams } from './in-process-media-streams.adapter';
import { INTERNAL_STREAM_ROUTES, InternalMediaController } from './internal-media.controller';
import { MediaArchiveExport } from './media-archive-export';
import { MediaArchiveImport } from './media-archive-import';
import { MediaBusController } from './media-bus.controller';
import { MediaRetention } from './media-retention';
import { MEDIA_STORAGE_PROVIDERS, MediaStorageCloser } from './media-storage.provider';
import { MediaStore } from './media-store';
import { InternalTokenGuard, installRawStreamBody } from '@plugboard/service-kit';
import { StorageCheck } from './storage-check';
import { SwitchableStorage } from './switchable-storage';

/** The media-service's files: storage socket, media table, bus handlers, internal byte streams, retention, backups. */
@Module({
  controllers: [MediaBusController, InternalMediaController],
  providers: [
    ...MEDIA_STORAGE_PROVIDERS,
    MediaStorageCloser,
    MediaStore,
    MediaArchiveExport,
    MediaArchiveImport,
    StorageCheck,
    MediaRetention,
    InternalTokenGuard,
    { provide: MediaStreams, useClass: InProcessMediaStreams },
  ],
  exports: [MediaStreams, SwitchableStorage],
})
export class MediaModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    installRawStreamBody(this.adapterHost.httpAdapter.getInstance<FastifyInstance>(), INTERNAL_STREAM_ROUTES);
  }
}
