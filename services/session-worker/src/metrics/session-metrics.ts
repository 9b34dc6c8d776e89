import { Injectable, type OnModuleInit } from '@nestjs/common';
import { SESSION_STATUS_VALUES } from '@plugboard/contracts';
import { MetricsService } from '@plugboard/service-kit';
import { SessionSupervisor } from '../sessions/session-supervisor';

/**
 * Sessions this worker holds the lease of, by status, counted at scrape time. Per worker and
 * not from the table, so summing over workers gives the sessions running anywhere.
 */
@Injectable()
export class SessionMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    private readonly supervisor: SessionSupervisor,
  ) {}

  onModuleInit(): void {
    this.metrics.gauge({
      name: 'plugboard_sessions',
      help: 'WhatsApp sessions owned by this worker, by status',
      labelNames: ['state'],
      collect: (gauge) => {
        const counts = new Map<string, number>(SESSION_STATUS_VALUES.map((status) => [status, 0]));
        for (const id of this.supervisor.ownedIds()) {
          const status = this.supervisor.runner(id)?.status;
          if (status) counts.set(status, (counts.get(status) ?? 0) + 1);
        }
        for (const [state, count] of counts) gauge.set({ state }, count);
      },
    });
  }
}
