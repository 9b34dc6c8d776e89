import type { LoggerService } from '@nestjs/common';
import { SERVICE_RESTART_SUBJECT, type ServiceName, ServiceRestartMessageSchema } from '@plugboard/contracts';
import type { BusPort, BusSubscription } from '@plugboard/messaging';

/**
 * Listens for the "restart yourself" broadcast (every instance, no queue group) and calls
 * `onRestart` once when it names one of `services`. The orchestrator's `none` plug sends it;
 * what a restart means is the caller's: exit for a supervisor, or reboot in place (embedded).
 */
export async function listenForRestart(
  bus: BusPort,
  services: readonly ServiceName[],
  onRestart: (requested: ServiceName[]) => void,
  logger?: LoggerService,
): Promise<BusSubscription> {
  let triggered = false;
  return bus.subscribe(SERVICE_RESTART_SUBJECT, (data) => {
    const message = ServiceRestartMessageSchema.safeParse(data);
    if (!message.success) {
      logger?.warn(`ignored a malformed ${SERVICE_RESTART_SUBJECT} message`, 'Restart');
      return;
    }
    const mine = message.data.services.filter((service) => services.includes(service));
    if (mine.length === 0 || triggered) return;
    triggered = true;
    logger?.log(`restart requested for ${mine.join(', ')}`, 'Restart');
    // Deferred: the handler that published may still be answering its own request.
    setImmediate(() => onRestart(mine));
  });
}
