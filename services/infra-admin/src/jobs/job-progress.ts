import type { InfraJobProgress } from '@plugboard/contracts';

/** Done of total with a rate over the whole run and the ETA it implies. */
export class JobProgress {
  done = 0;
  total = 0;
  private readonly startedAt = Date.now();

  constructor(
    private readonly unit: InfraJobProgress['unit'],
    private readonly now: () => number = Date.now,
  ) {}

  snapshot(): InfraJobProgress {
    const seconds = (this.now() - this.startedAt) / 1000;
    const rate = seconds > 0 && this.done > 0 ? this.done / seconds : null;
    const eta = rate ? Math.max(0, this.total - this.done) / rate : null;
    return {
      done: this.done,
      total: this.total,
      unit: this.unit,
      ratePerSecond: rate === null ? null : Math.round(rate),
      etaSeconds: eta === null ? null : Math.round(eta * 10) / 10,
    };
  }
}
