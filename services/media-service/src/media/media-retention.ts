import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import type { MediaDirection } from '@plugboard/contracts';
import { MediaRepository } from '@plugboard/database';
import { ServiceLogger } from '@plugboard/service-kit';
import { StoragePort } from '@plugboard/storage';

const BATCH = 200;
const DAY_MS = 86_400_000;

/**
 * Deletes media older than MEDIA_RETENTION_DAYS_INBOUND / _OUTBOUND (0 keeps them) every
 * MEDIA_RETENTION_SWEEP_MS: the file first, then its row, so a failed delete leaves the row
 * and the next sweep tries again. Several instances may sweep at once: deletes are idempotent.
 */
@Injectable()
export class MediaRetention implements OnModuleInit, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    @Inject(StoragePort) private readonly storage: StoragePort,
    private readonly media: MediaRepository,
    private readonly logger: ServiceLogger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    if (!this.config.MEDIA_RETENTION_DAYS_INBOUND && !this.config.MEDIA_RETENTION_DAYS_OUTBOUND) return;
    this.timer = setInterval(() => void this.sweep().catch(() => undefined), this.config.MEDIA_RETENTION_SWEEP_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One sweep (never two at once); resolves with the number of files deleted. */
  sweep(now = new Date()): Promise<number> {
    this.running ??= this.sweepOnce(now).finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweepOnce(now: Date): Promise<number> {
    let deleted = 0;
    const days: Record<MediaDirection, number> = {
      inbound: this.config.MEDIA_RETENTION_DAYS_INBOUND,
      outbound: this.config.MEDIA_RETENTION_DAYS_OUTBOUND,
    };
    for (const direction of ['inbound', 'outbound'] as const) {
      if (!days[direction]) continue;
      const before = new Date(now.getTime() - days[direction] * DAY_MS);
      for (;;) {
        const expired = await this.media.findExpired(direction, before, BATCH);
        let progressed = 0;
        for (const row of expired) {
          try {
            await this.storage.delete(row.key);
            await this.media.delete(row.id);
            progressed++;
          } catch (error) {
            this.logger.warn(`retention: ${row.key} kept for the next sweep: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
        deleted += progressed;
        if (expired.length < BATCH || progressed === 0) break;
      }
    }
    if (deleted) this.logger.log(`retention: deleted ${deleted} expired media file(s)`);
    return deleted;
  }
}
