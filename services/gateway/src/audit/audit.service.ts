import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, InjectConfig } from '@plugboard/config';
import { AuditLogRepository } from '@plugboard/database';
import { ServiceLogger } from '@plugboard/service-kit';
import type { FastifyRequest } from 'fastify';

const DAY_MS = 86_400_000;
/** First sweep a minute after boot, so it never competes with startup. */
const FIRST_SWEEP_DELAY_MS = 60_000;

/**
 * The audit log others write to: `record(request, 'session.deleted', id)`. The actor (key
 * id and name) and client address come from the request. Entries older than
 * AUDIT_RETENTION_DAYS are swept once a day by every replica (an idempotent DELETE).
 */
@Injectable()
export class AuditService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly logs: AuditLogRepository,
    @InjectConfig() private readonly config: AppConfig,
    private readonly logger: ServiceLogger,
  ) {}

  /**
   * Appends an entry: `action` like key.created, session.deleted, webhook.changed, infra.restart;
   * `target` the id it acted on. A failed write is logged, never thrown: the action already happened.
   */
  async record(request: FastifyRequest | undefined, action: string, target?: string | null, details?: Record<string, unknown>): Promise<void> {
    try {
      await this.logs.record({
        action,
        target: target ?? null,
        actorKeyId: request?.apiKey?.id ?? null,
        actorName: request?.apiKey?.name ?? null,
        ip: request?.ip ?? null,
        details: details ?? null,
      });
    } catch (error) {
      this.logger.error(`audit entry ${action} ${target ?? ''} not written: ${String(error)}`, 'Audit');
    }
  }

  /** Deletes entries past the retention; returns how many. */
  async sweep(now = new Date()): Promise<number> {
    const removed = await this.logs.deleteOlderThan(new Date(now.getTime() - this.config.AUDIT_RETENTION_DAYS * DAY_MS));
    if (removed > 0) this.logger.log(`audit log: ${removed} entries older than ${this.config.AUDIT_RETENTION_DAYS} days removed`, 'Audit');
    return removed;
  }

  onApplicationBootstrap(): void {
    const run = () => void this.sweep().catch((error: unknown) => this.logger.warn(`audit sweep failed: ${String(error)}`, 'Audit'));
    // unref'd: the sweep never keeps a process alive that is otherwise done.
    this.timers = [setTimeout(run, FIRST_SWEEP_DELAY_MS).unref(), setInterval(run, DAY_MS).unref()];
  }

  onApplicationShutdown(): void {
    for (const timer of this.timers) clearTimeout(timer);
  }
}
