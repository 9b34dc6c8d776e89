import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import { MediaStreams } from '@plugboard/contracts';
import { HttpMediaStreams } from './http-media-streams.adapter';
import { MediaStreamsSwitch } from './media-streams.switch';

/**
 * The way of a service (gateway, session-worker) to the media-service's byte streams.
 * MediaStreams starts as the HTTP plug to MEDIA_SERVICE_URL; the embedded launcher switches
 * it to the in-process plug (`MediaStreamsSwitch.use`). Global, so every feature of the
 * service injects `MediaStreams` without importing this module.
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
