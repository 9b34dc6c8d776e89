import { Injectable } from '@nestjs/common';
import { AppConfig, InjectConfig } from '@plugboard/config';
import type { ServiceHealth } from '@plugboard/contracts';
import { BusPort } from '@plugboard/messaging';
import { ServiceLogger } from '@plugboard/service-kit';

export interface HealthSnapshot {
  replies: ServiceHealth[];
  checkedAt: Date;
}

/**
 * Scatter-gathers `health.ping` across every instance of every service. It always waits the
 * whole HEALTH_TIMEOUT_MS: the number of instances is unknown, and stopping after one reply per
 * expected service would miss a down instance answering late. Concurrent callers share one
 * gather, so a burst of `/health` calls costs one round on the bus.
 */
@Injectable()
export class HealthCollector {
  private inflight?: Promise<HealthSnapshot>;

  constructor(
    private readonly bus: BusPort,
    @InjectConfig() private readonly config: AppConfig,
    private readonly logger: ServiceLogger,
  ) {}

  /** The replies of one gather; none when the bus itself fails (every service then shows down). */
  collect(): Promise<HealthSnapshot> {
    this.inflight ??= this.gather().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async gather(): Promise<HealthSnapshot> {
    try {
      const replies = await this.bus.gather('health.ping', {}, { timeoutMs: this.config.HEALTH_TIMEOUT_MS });
      return { replies, checkedAt: new Date() };
    } catch (error) {
      this.logger.warn(`health.ping gather failed: ${error instanceof Error ? error.message : String(error)}`, HealthCollector.name);
      return { replies: [], checkedAt: new Date() };
    }
  }
}
