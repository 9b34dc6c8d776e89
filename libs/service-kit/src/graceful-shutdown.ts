import type { LoggerService } from '@nestjs/common';

export interface GracefulShutdownOptions {
  logger: LoggerService;
  /** The whole budget, from the signal to exit (`SHUTDOWN_TIMEOUT_MS`). */
  timeoutMs: number;
  /** Called at once on the signal: readiness turns 503. */
  beginShutdown: () => void;
  /** Closes everything (apps, then queue, then bus); resolves when done. */
  drain: () => Promise<void>;
  /**
   * How long readiness answers 503 before the ports close, so load balancers stop routing
   * first (what a k8s preStop sleep does). Capped at a quarter of the budget.
   */
  readinessGraceMs?: number;
  signals?: NodeJS.Signals[];
  exit?: (code: number) => void;
}

/**
 * On SIGTERM/SIGINT: readiness 503 at once, drain within the budget, exit 0; past the budget,
 * or when the drain fails, exit 1 with the reason logged. Returns an uninstaller.
 */
export function installGracefulShutdown(options: GracefulShutdownOptions): () => void {
  const { logger, timeoutMs, signals = ['SIGTERM', 'SIGINT'], exit = (code: number) => process.exit(code) } = options;
  const graceMs = Math.min(options.readinessGraceMs ?? 0, Math.floor(timeoutMs / 4));
  let started = false;

  const onSignal = (signal: NodeJS.Signals) => {
    if (started) {
      logger.warn(`${signal} received again: still draining`);
      return;
    }
    started = true;
    options.beginShutdown();
    logger.log(`${signal} received: draining (budget ${timeoutMs} ms)`);
    const forced = setTimeout(() => {
      logger.error(`shutdown exceeded ${timeoutMs} ms: forcing exit`);
      exit(1);
    }, timeoutMs);
    void (async () => {
      try {
        if (graceMs > 0) await new Promise((r) => setTimeout(r, graceMs));
        await options.drain();
        clearTimeout(forced);
        logger.log('shutdown complete');
        exit(0);
      } catch (error) {
        clearTimeout(forced);
        logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        exit(1);
      }
    })();
  };

  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
