import { randomUUID } from 'node:crypto';
import { type EntityManager, type MikroORM, UniqueConstraintViolationException } from '@mikro-orm/core';
import { SimulatorDeviceEntity } from '../entities/simulator-device.entity';
import { type SimulatorAck, type SimulatorDirection, SimulatorMessageEntity } from '../entities/simulator-message.entity';
import { guardDriverErrors } from './guard-driver-errors';
import { type SqlRow, SqlStatements } from './sql-statements';
import { TickBatches } from './tick-batches';

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
  // The send path (a send, its failure check, its acks) in hand-written statements: see SqlStatements.
  private readonly sql: SqlStatements;
  private readonly sends: TickBatches<NewSimulatorSend, SimulatorSendResult | 'failed'>;
  private readonly acks: TickBatches<SimulatorAck, boolean>;

  constructor(private readonly orm: MikroORM) {
    this.sql = new SqlStatements(orm);
    this.sends = new TickBatches((_sessionId, items) => this.acceptBatch([...items.values()]));
    this.acks = new TickBatches((ack, items) => this.advanceAcks(ack as SimulatorAck, [...items.keys()]));
  }

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

  /** Consumes one pending send failure; true when this send must fail. One conditional UPDATE, so each failure is used once. */
  takeSendFailure(sessionId: string): Promise<boolean> {
    return guardDriverErrors(async () => {
      const taken = await this.sql.rows(
        'update "simulator_devices" set "pending_send_failures" = "pending_send_failures" - 1, "updated_at" = ? ' +
          'where "session_id" = ? and "pending_send_failures" > 0 returning "session_id"',
        [this.sql.date(new Date()), sessionId],
      );
      return taken.length === 1;
    });
  }

  /** Records a send in one statement; the same clientMessageId twice returns the first row, never a second one. */
  recordSend(input: NewSimulatorSend): Promise<SimulatorSendResult> {
    return guardDriverErrors(async () => {
      const [recorded] = await this.insertSends([input], false);
      return recorded ? { message: recorded, created: true } : { message: await this.requireSend(input), created: false };
    });
  }

  /**
   * A send as the simulated WhatsApp takes it: a resend of a recorded clientMessageId answers
   * with the first row and consumes no injected fault; otherwise a pending fault is consumed
   * (`failed`), or the send is recorded. The sends of one turn share one INSERT (see
   * TickBatches); only a send it did not record takes the slow path, which is rare.
   */
  acceptSend(input: NewSimulatorSend): Promise<SimulatorSendResult | 'failed'> {
    return this.sends.add(input.sessionId, input.clientMessageId, input);
  }

  private async acceptBatch(sends: NewSimulatorSend[]): Promise<Map<string, SimulatorSendResult | 'failed'>> {
    const results = new Map<string, SimulatorSendResult | 'failed'>();
    await guardDriverErrors(async () => {
      for (const message of await this.insertSends(sends, true)) results.set(message.clientMessageId!, { message, created: true });
      for (const input of sends.filter((send) => !results.has(send.clientMessageId))) results.set(input.clientMessageId, await this.acceptOne(input));
    });
    return results;
  }

  private async acceptOne(input: NewSimulatorSend): Promise<SimulatorSendResult | 'failed'> {
    for (;;) {
      const earlier = await this.findSend(input.sessionId, input.clientMessageId);
      if (earlier) return { message: earlier, created: false };
      if (await this.takeSendFailure(input.sessionId)) return 'failed';
      // No fault pending any more (another send took it): try recording again.
      const [recorded] = await this.insertSends([input], true);
      if (recorded) return { message: recorded, created: true };
    }
  }

  /**
   * Inserts the sends (all of one session) whose clientMessageId is not recorded yet, unless
   * (`unlessFaulty`) a fault is pending for the session; returns the rows inserted.
   */
  private async insertSends(sends: NewSimulatorSend[], unlessFaulty: boolean): Promise<SimulatorMessageEntity[]> {
    const sql = this.sql;
    const now = sql.date(new Date());
    const params: unknown[] = [];
    const selects = sends.map((input) => {
      params.push(randomUUID(), input.sessionId, input.clientMessageId, input.waMessageId, input.chatId, input.type, input.body ?? null);
      params.push(JSON.stringify(input.payload ?? {}), now);
      return `select ? as "id", ? as "session_id", ? as "client_message_id", ? as "wa_message_id", ? as "chat_id", 'out' as "direction", ? as "type", ? as "body", ${sql.param('jsonb')} as "payload", null as "ack", ${sql.param('timestamptz')} as "created_at"`;
    });
    // SQLite needs a WHERE between INSERT … SELECT and ON CONFLICT, hence `1 = 1`.
    const noFault = unlessFaulty ? 'not exists (select 1 from "simulator_devices" where "session_id" = ? and "pending_send_failures" > 0)' : '1 = 1';
    if (unlessFaulty) params.push(sends[0].sessionId);
    const rows = await sql.rows(
      `insert into "simulator_messages" (${SIMULATOR_MESSAGE_COLUMNS}) select * from (${selects.join(' union all ')}) as "sends" ` +
        `where ${noFault} on conflict do nothing returning ${SIMULATOR_MESSAGE_COLUMNS}`,
      params,
    );
    return rows.map((row) => this.fromRow(row));
  }

  private async requireSend(input: NewSimulatorSend): Promise<SimulatorMessageEntity> {
    const winner = await this.findSend(input.sessionId, input.clientMessageId);
    if (!winner) throw new Error(`simulated send of ${input.clientMessageId} conflicted with no recorded send`);
    return winner;
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
    return guardDriverErrors(async () => {
      const [row] = await this.sql.rows(
        `select ${SIMULATOR_MESSAGE_COLUMNS} from "simulator_messages" where "session_id" = ? and "client_message_id" = ? and "direction" = 'out' limit 1`,
        [sessionId, clientMessageId],
      );
      return row ? this.fromRow(row) : null;
    });
  }

  findByWaMessageId(waMessageId: string): Promise<SimulatorMessageEntity | null> {
    return guardDriverErrors(() => this.em().findOne(SimulatorMessageEntity, { waMessageId }));
  }

  /** Moves a sent message's ack forward to `ack`; false when it was already there or beyond. Acks of one turn share one UPDATE. */
  advanceAck(waMessageId: string, ack: SimulatorAck): Promise<boolean> {
    return this.acks.add(ack, waMessageId, ack);
  }

  private async advanceAcks(ack: SimulatorAck, waMessageIds: string[]): Promise<Map<string, boolean>> {
    const earlier = EARLIER_ACKS[ack];
    const before = earlier.length ? ` or "ack" in (${this.sql.placeholders(earlier.length)})` : '';
    const moved = await guardDriverErrors(() =>
      this.sql.rows(
        `update "simulator_messages" set "ack" = ? where "wa_message_id" in (${this.sql.placeholders(waMessageIds.length)}) and "direction" = 'out' ` +
          `and ("ack" is null${before}) returning "wa_message_id"`,
        [ack, ...waMessageIds, ...earlier],
      ),
    );
    const applied = new Set(moved.map((row) => row.wa_message_id as string));
    return new Map(waMessageIds.map((id) => [id, applied.has(id)]));
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

  private fromRow(row: SqlRow): SimulatorMessageEntity {
    // A plain object: the entity class's prototype carries the ORM's accessors (see messageFromRow).
    const message: SimulatorMessageEntity = {
      id: row.id as string,
      sessionId: row.session_id as string,
      clientMessageId: (row.client_message_id as string | null) ?? null,
      waMessageId: row.wa_message_id as string,
      chatId: row.chat_id as string,
      direction: row.direction as SimulatorDirection,
      type: row.type as string,
      body: (row.body as string | null) ?? null,
      payload: this.sql.readJson<Record<string, unknown>>(row.payload),
      ack: (row.ack as SimulatorAck | null) ?? null,
      createdAt: this.sql.readDate(row.created_at),
    };
    return message;
  }

  private em(): EntityManager {
    return this.orm.em.fork();
  }
}

const SIMULATOR_MESSAGE_COLUMNS = '"id", "session_id", "client_message_id", "wa_message_id", "chat_id", "direction", "type", "body", "payload", "ack", "created_at"';
