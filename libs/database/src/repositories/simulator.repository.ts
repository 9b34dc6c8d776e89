import { type EntityManager, type MikroORM, UniqueConstraintViolationException } from '@mikro-orm/core';
import { SimulatorDeviceEntity } from '../entities/simulator-device.entity';
import { type SimulatorAck, type SimulatorDirection, SimulatorMessageEntity } from '../entities/simulator-message.entity';
import { guardDriverErrors } from './guard-driver-errors';

export interface NewSimulatorSend {
  sessionId: string;
  clientMessageId: string;
  waMessageId: string;
  chatId: string;
  type: string;
  body?: string | null;
  payload?: Record<string, unknown>;
}

export interface NewSimulatorInbound {
  sessionId: string;
  waMessageId: string;
  chatId: string;
  type: string;
  body?: string | null;
  payload?: Record<string, unknown>;
}

export interface SimulatorSendResult {
  message: SimulatorMessageEntity;
  /** False when an earlier send with the same clientMessageId was returned instead. */
  created: boolean;
}

/** Acks only move forward: the levels a message may be at before reaching each one. */
const EARLIER_ACKS: Record<SimulatorAck, SimulatorAck[]> = { sent: [], delivered: ['sent'], read: ['sent', 'delivered'] };

/**
 * The simulated WhatsApp side (devices and the messages they exchanged). Every call uses its
 * own forked EntityManager; concurrent writers are settled by unique keys and conditional
 * UPDATEs, so several workers may share one simulator.
 */
export class SimulatorRepository {
  constructor(private readonly orm: MikroORM) {}

  getDevice(sessionId: string): Promise<SimulatorDeviceEntity | null> {
    return guardDriverErrors(() => this.em().findOne(SimulatorDeviceEntity, { sessionId }));
  }

  /** Marks the phone paired; pairing a paired phone keeps its first pairing. */
  pair(sessionId: string, phone: string, pushName: string, at = new Date()): Promise<SimulatorDeviceEntity> {
    return guardDriverErrors(async () => {
      await this.ensureDevice(sessionId);
      await this.em().nativeUpdate(
        SimulatorDeviceEntity,
        { sessionId, paired: false },
        { paired: true, phone, pushName, pairedAt: at, updatedAt: at },
      );
      return this.em().findOneOrFail(SimulatorDeviceEntity, { sessionId });
    });
  }

  /** Forgets the pairing (logout); injected faults go with it. */
  unpair(sessionId: string): Promise<void> {
    return guardDriverErrors(async () => {
      await this.em().nativeUpdate(
        SimulatorDeviceEntity,
        { sessionId },
        { paired: false, phone: null, pushName: null, pairedAt: null, pendingSendFailures: 0, updatedAt: new Date() },
      );
    });
  }

  /** Makes the next `count` sends fail; returns how many are now pending. */
  addSendFailures(sessionId: string, count: number): Promise<number> {
    return guardDriverErrors(async () => {
      await this.ensureDevice(sessionId);
      for (;;) {
        const device = await this.em().findOneOrFail(SimulatorDeviceEntity, { sessionId });
        const next = device.pendingSendFailures + count;
        const affected = await this.em().nativeUpdate(
          SimulatorDeviceEntity,
          { sessionId, pendingSendFailures: device.pendingSendFailures },
          { pendingSendFailures: next, updatedAt: new Date() },
        );
        if (affected === 1) return next;
      }
    });
  }

  /** Consumes one pending send failure; true when this send must fail. A compare-and-swap, so each failure is used once. */
  takeSendFailure(sessionId: string): Promise<boolean> {
    return guardDriverErrors(async () => {
      for (;;) {
        const device = await this.em().findOne(SimulatorDeviceEntity, { sessionId });
        if (!device || device.pendingSendFailures <= 0) return false;
        const affected = await this.em().nativeUpdate(
          SimulatorDeviceEntity,
          { sessionId, pendingSendFailures: device.pendingSendFailures },
          { pendingSendFailures: device.pendingSendFailures - 1, updatedAt: new Date() },
        );
        if (affected === 1) return true;
      }
    });
  }

  /** Records a send; the same clientMessageId twice returns the first row, never a second one. */
  recordSend(input: NewSimulatorSend): Promise<SimulatorSendResult> {
    return guardDriverErrors(async () => {
      const existing = await this.findSend(input.sessionId, input.clientMessageId);
      if (existing) return { message: existing, created: false };
      const em = this.em();
      const message = em.create(SimulatorMessageEntity, { ...input, direction: 'out', ack: null, payload: input.payload ?? {} });
      try {
        await em.persistAndFlush(message);
        return { message, created: true };
      } catch (error) {
        // A concurrent send of the same message won the insert: answer with its row.
        if (!(error instanceof UniqueConstraintViolationException)) throw error;
        const winner = await this.findSend(input.sessionId, input.clientMessageId);
        if (!winner) throw error;
        return { message: winner, created: false };
      }
    });
  }

  /** Records a message the simulated WhatsApp delivers to the session. */
  recordInbound(input: NewSimulatorInbound): Promise<SimulatorMessageEntity> {
    return guardDriverErrors(async () => {
      const em = this.em();
      const message = em.create(SimulatorMessageEntity, { ...input, direction: 'in', ack: null, payload: input.payload ?? {} });
      await em.persistAndFlush(message);
      return message;
    });
  }

  findSend(sessionId: string, clientMessageId: string): Promise<SimulatorMessageEntity | null> {
    return guardDriverErrors(() => this.em().findOne(SimulatorMessageEntity, { sessionId, clientMessageId, direction: 'out' }));
  }

  findByWaMessageId(waMessageId: string): Promise<SimulatorMessageEntity | null> {
    return guardDriverErrors(() => this.em().findOne(SimulatorMessageEntity, { waMessageId }));
  }

  /** Moves a sent message's ack forward to `ack`; false when it was already there or beyond. */
  advanceAck(waMessageId: string, ack: SimulatorAck): Promise<boolean> {
    return guardDriverErrors(async () => {
      const earlier = EARLIER_ACKS[ack];
      const affected = await this.em().nativeUpdate(
        SimulatorMessageEntity,
        { waMessageId, direction: 'out', $or: [{ ack: null }, ...(earlier.length ? [{ ack: { $in: earlier } }] : [])] },
        { ack },
      );
      return affected === 1;
    });
  }

  /** Sent messages not yet read, oldest first: their acks resume when the session comes back. */
  listUnread(sessionId: string): Promise<SimulatorMessageEntity[]> {
    return guardDriverErrors(() =>
      this.em().find(
        SimulatorMessageEntity,
        { sessionId, direction: 'out', $or: [{ ack: null }, { ack: { $ne: 'read' } }] },
        { orderBy: { createdAt: 'asc', id: 'asc' } },
      ),
    );
  }

  /** The session's messages, oldest first (optionally one direction). */
  listMessages(sessionId: string, direction?: SimulatorDirection): Promise<SimulatorMessageEntity[]> {
    return guardDriverErrors(() =>
      this.em().find(
        SimulatorMessageEntity,
        direction ? { sessionId, direction } : { sessionId },
        { orderBy: { createdAt: 'asc', id: 'asc' } },
      ),
    );
  }

  private async ensureDevice(sessionId: string): Promise<void> {
    if (await this.em().findOne(SimulatorDeviceEntity, { sessionId })) return;
    try {
      await this.em().insert(SimulatorDeviceEntity, { sessionId, paired: false, pendingSendFailures: 0, updatedAt: new Date() });
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    }
  }

  private em(): EntityManager {
    return this.orm.em.fork();
  }
}
