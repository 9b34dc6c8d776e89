import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import { MediaStreams } from '@plugboard/contracts';
import { HttpMediaStreams, MediaStreamsSwitch } from '@plugboard/service-kit';

/**
 * The session-worker's way to the media-service's byte streams: inbound media is streamed
 * into it, outgoing media read from it. MediaStreams starts as the HTTP plug to
 * MEDIA_SERVICE_URL; the embedded launcher switches it to the in-process plug. Global, so
 * every feature of the worker injects `MediaStreams` without importing this module.
 */
@Global()
@Module({
  providers: [
    {
      provide: HttpMediaStreams,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new HttpMediaStreams({ baseUrl: config.MEDIA_SERVICE_URL, token: config.INTERNAL_TOKEN }),
    },
    { provide: MediaStreamsSwitch, inject: [HttpMediaStreams], useFactory: (http: HttpMediaStreams) => new MediaStreamsSwitch(http) },
    { provide: MediaStreams, useExisting: MediaStreamsSwitch },
  ],
  exports: [MediaStreams, MediaStreamsSwitch],
})
export class MediaClientModule implements OnApplicationShutdown {
  constructor(@Inject(HttpMediaStreams) private readonly http: HttpMediaStreams) {}

  async onApplicationShutdown(): Promise<void> {
    await this.http.close();
  }
}
