import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { INFRA_JOBS_PROGRESS_SUBJECT, type InfraJobProgressEvent, InfraJobProgressEventSchema } from '@plugboard/contracts';
import { BusPort, type BusSubscription } from '@plugboard/messaging';
import { ServiceLogger } from '@plugboard/service-kit';

type Listener = (progress: InfraJobProgressEvent) => void;

/**
 * One subscription to admin job progress for the whole gateway, fanned out to the SSE streams
 * of admin keys. Progress is live only (not replayable), so these frames carry no id.
 */
@Injectable()
export class InfraJobRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly listeners = new Set<Listener>();
  private subscription?: BusSubscription;

  constructor(
    private readonly bus: BusPort,
    private readonly logger: ServiceLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.bus.connect();
      this.subscription = await this.bus.subscribe(INFRA_JOBS_PROGRESS_SUBJECT, (data) => {
        const parsed = InfraJobProgressEventSchema.safeParse(data);
        if (!parsed.success) return;
        for (const listener of this.listeners) listener(parsed.data);
      });
    } catch (error) {
      // Not fatal: the event streams work without it; admin job progress is missing until a restart.
      this.logger.warn(`events: no admin job progress: ${error instanceof Error ? error.message : String(error)}`, 'Events');
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.unsubscribe().catch(() => undefined);
  }

  /** Calls `listener` for each progress report until the returned function is called. */
  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
