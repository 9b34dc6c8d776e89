import { BaseRpcContext, CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { ErrorCode, RequestSubject, SubjectMap } from '@plugboard/contracts';
import { BusError, BusPort, BusSubscription, MessageContext } from '@plugboard/messaging';
import type { ServiceName } from '@plugboard/contracts';
import { lastValueFrom } from 'rxjs';
import { isErrorCode } from './service-kit.errors';

/** Request subjects every instance must answer (no queue group): scatter-gather. */
export const BROADCAST_SUBJECTS: readonly RequestSubject[] = ['health.ping'];

export interface BusTransportOptions {
  /** Queue group of request handlers: one instance of the service answers each request. */
  service: ServiceName;
  /** Request subjects answered by every instance instead of one per service. */
  broadcast?: readonly RequestSubject[];
}

/** What a bus handler sees as its Nest context (`@Ctx()`): the wire subject. */
export class BusContext extends BaseRpcContext<[string]> {
  /** The subject the message arrived on. */
  getSubject(): string {
    return this.args[0];
  }
}

/**
 * Serves `@MessagePattern`/`@EventPattern` handlers over the bus socket. One transport for both
 * bus plugs (memory and NATS), instead of Nest's own NATS transport for one of them, so there
 * is one wire format and every request is validated (zod, `SubjectMap`) on arrival by the bus,
 * whichever plug carries it. Requests are answered by one instance per service (queue group
 * named after the service) except BROADCAST_SUBJECTS; each `@EventPattern` message likewise
 * reaches one instance per service.
 */
export class BusTransport extends Server implements CustomTransportStrategy {
  private readonly subscriptions: BusSubscription[] = [];

  constructor(
    private readonly bus: BusPort,
    private readonly options: BusTransportOptions,
  ) {
    super();
  }

  /** Connects the bus and binds every registered pattern; Nest calls this on `startAllMicroservices()`. */
  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      await this.bus.connect();
      for (const [pattern, handler] of this.getHandlers()) {
        this.subscriptions.push(await this.bind(pattern, handler));
      }
      callback();
    } catch (error) {
      await this.close();
      callback(error);
    }
  }

  /** Unsubscribes every handler (draining in-flight messages); the bus itself belongs to its creator. */
  async close(): Promise<void> {
    const subscriptions = this.subscriptions.splice(0);
    await Promise.allSettled(subscriptions.map((s) => s.unsubscribe()));
  }

  /** Not supported: bus state is reported through health, not transport events. */
  on(): never {
    throw new Error('BusTransport has no events; read the bus state through health');
  }

  /** The bus this transport serves. */
  unwrap<T>(): T {
    return this.bus as T;
  }

  private bind(pattern: string, handler: MessageHandler): Promise<BusSubscription> {
    const queue = this.options.service;
    if (handler.isEventHandler) {
      return this.bus.subscribe(
        pattern,
        (data, message) => this.handleEvent(pattern, { pattern, data }, new BusContext([message.subject])),
        { queue },
      );
    }
    if (!isRequestSubject(pattern)) {
      // Refuse to start rather than serve a subject nobody can call through the typed bus.
      throw new BusError(ErrorCode.Internal, `@MessagePattern("${pattern}") is not a subject of SubjectMap`, pattern);
    }
    const broadcast = (this.options.broadcast ?? BROADCAST_SUBJECTS).includes(pattern);
    return this.bus.handle(pattern, (payload, message) => this.invoke(handler, payload, message), broadcast ? {} : { queue });
  }

  /** Runs a Nest handler (value, promise or observable) and turns its outcome into a bus reply. */
  private async invoke<T>(handler: MessageHandler, payload: unknown, message: MessageContext): Promise<T> {
    try {
      const result = await handler(payload, new BusContext([message.subject]));
      return (await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined })) as T;
    } catch (error) {
      throw toBusError(error, message.subject);
    }
  }
}

function isRequestSubject(pattern: string): pattern is RequestSubject {
  return Object.prototype.hasOwnProperty.call(SubjectMap, pattern);
}

/** Nest's RPC filters error with plain objects; keep a known code, hide anything else as INTERNAL. */
function toBusError(error: unknown, subject: string): BusError {
  if (error instanceof BusError) return error;
  const { code, message, details } = (error ?? {}) as { code?: unknown; message?: unknown; details?: unknown };
  if (isErrorCode(code) && typeof message === 'string') return new BusError(code, message, subject, details);
  return new BusError(ErrorCode.Internal, 'internal error', subject);
}
