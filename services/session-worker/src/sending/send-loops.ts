import { Inject, Injectable, type OnModuleInit, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import { ErrorCode, type EventType, MediaStreams } from '@plugboard/contracts';
import { MessageBatchRepository, MessageRepository } from '@plugboard/database';
import { BusPort } from '@plugboard/messaging';
import { MetricsService, ServiceError, ServiceLogger } from '@plugboard/service-kit';
import { SessionCommands } from '../sessions/session-commands';
import { SendsInFlight } from '../sessions/sends-in-flight';
import { publishSessionEvent } from '../sessions/session-events';
import type { SessionRunner } from '../sessions/session-runner';
import { type OwnershipListener, SessionSupervisor } from '../sessions/session-supervisor';
import { type SendAccept, SendLoop } from './send-loop';
import { type SendSettings, sendSettingsOf } from './send-settings';
import { SEND_METRICS } from './send.metrics';
import { TokenBucket } from './token-bucket';

/**
 * The send loops of the sessions this worker owns: one is made when the supervisor adopts a
 * session and closed when it releases or loses it. Answers `wa.session.<id>.send` for them.
 */
@Injectable()
export class SendLoops implements OnModuleInit, OwnershipListener {
  readonly settings: SendSettings;
  private readonly loops = new Map<string, SendLoop>();

  constructor(
    private readonly supervisor: SessionSupervisor,
    private readonly commands: SessionCommands,
    private readonly messages: MessageRepository,
    private readonly batches: MessageBatchRepository,
    private readonly bus: BusPort,
    private readonly logger: ServiceLogger,
    private readonly metrics: MetricsService,
    private readonly sendsInFlight: SendsInFlight,
    @Inject(APP_CONFIG) config: AppConfig,
    // Optional so the loop runs (text sends, tests) without a media-service; a media send then fails with a reason.
    @Optional() private readonly media?: MediaStreams,
  ) {
    this.settings = sendSettingsOf(config);
  }

  onModuleInit(): void {
    // Created now, so /metrics shows the series at 0 before the first send.
    Object.values(SEND_METRICS).forEach((definition) => this.metrics.counter(definition));
    this.supervisor.ownershipListeners.add(this);
    this.commands.register('send', async (sessionId, input) => ({ accepted: await this.acceptOwned(sessionId, input as SendAccept) }));
  }

  /** The loop of a session owned here, if any. */
  get(sessionId: string): SendLoop | undefined {
    return this.loops.get(sessionId);
  }

  /** Hands rows to the owned session's loop; SERVICE_UNAVAILABLE (retry) when this worker does not own it. */
  async acceptOwned(sessionId: string, input: SendAccept): Promise<number> {
    const loop = this.loops.get(sessionId);
    if (!loop) throw new ServiceError(ErrorCode.ServiceUnavailable, `session ${sessionId} is not held by this worker`, { retryAfterMs: 1000 });
    return loop.accept(input);
  }

  adopted(sessionId: string, runner: SessionRunner): void {
    const loop = new SendLoop({
      sessionId,
      runner,
      messages: this.messages,
      batches: this.batches,
      publish: (type, data) => this.publish(sessionId, type, data),
      bucket: new TokenBucket(this.settings.ratePerMinute, this.settings.burst),
      maxAttempts: this.settings.maxAttempts,
      retryDelayMs: this.settings.retryDelayMs,
      media: this.media,
      log: { log: (m) => this.logger.log(m), warn: (m) => this.logger.warn(m) },
      ackMayOvertake: () => this.sendsInFlight.begin(sessionId),
    });
    this.loops.get(sessionId)?.close({ wait: false }).catch(() => undefined);
    this.loops.set(sessionId, loop);
    loop.start();
  }

  /** Publishes a send's event and counts it. */
  private publish(sessionId: string, type: EventType, data: Record<string, unknown>): Promise<void> {
    if (type === 'message.sent') this.metrics.counter(SEND_METRICS.sent).inc();
    if (type === 'message.failed') this.metrics.counter(data.final === true ? SEND_METRICS.failures : SEND_METRICS.retries).inc();
    return publishSessionEvent(this.bus, sessionId, type, data);
  }

  async ended(sessionId: string, runner: SessionRunner, how: 'released' | 'lost'): Promise<void> {
    const loop = this.loops.get(sessionId);
    if (!loop || loop.generation !== runner.generation) return;
    this.loops.delete(sessionId);
    // Released: sends at the engine finish and are recorded before the engine stops. Lost: let go at once.
    await loop.close({ wait: how === 'released' });
  }
}
