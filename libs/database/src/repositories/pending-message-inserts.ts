import { DatabaseError } from '../database.errors';
import type { MessageEntity } from '../entities/message.entity';
import { guardDriverErrors } from './guard-driver-errors';
import type { InsertResult, NewOutgoingMessage } from './message.repository';
import { MESSAGE_COLUMNS, messageFromRow } from './message-rows';
import type { SqlStatements } from './sql-statements';
import { TickBatches } from './tick-batches';
import { timeOrderedId } from './time-ordered-id';

/** A column of a new row, its value, and whether it is jsonb (PostgreSQL needs the type in a VALUES list). */
type ColumnValue = [column: string, value: unknown, jsonb?: true];

/** One row to insert: its generated id, its idempotency key (or null), its key within a batch and its columns. */
interface PendingRow {
  id: string;
  key: string | null;
  batchKey: string;
  columns: ColumnValue[];
}

/** A caller's outcome inside a batch: its result, or the error only it gets (its row neither inserted nor found). */
type Outcome = InsertResult | DatabaseError;

/**
 * The `pending` rows of outgoing messages. The sends of one session made in one turn of the
 * event loop are written by one multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING` (one
 * commit instead of one each, see TickBatches). Batches are per session: a session deleted
 * meanwhile fails its own sends (foreign key) and nobody else's.
 */
export class PendingMessageInserts {
  private readonly batches = new TickBatches<PendingRow, Outcome>((sessionId, rows) => this.insertBatch(sessionId, [...rows.values()]));

  constructor(private readonly sql: SqlStatements) {}

  /**
   * Writes the row (its id and timestamps taken now, so ids keep accept order) and resolves
   * with it; a key already taken resolves with that row and `created: false`. A key repeated
   * within a turn waits for the batch holding it (TickBatches), so it finds the first row.
   */
  insert(input: NewOutgoingMessage): Promise<InsertResult> {
    const row = this.row(input);
    return this.batches.add(input.sessionId, row.batchKey, row).then((outcome) => {
      if (outcome instanceof DatabaseError) throw outcome;
      return outcome;
    });
  }

  private row(input: NewOutgoingMessage): PendingRow {
    const now = new Date();
    // Time-ordered: equal timestamps still sort in accept order (see listDue).
    const id = timeOrderedId(now.getTime());
    const key = input.idempotencyKey ?? null;
    const columns: ColumnValue[] = [
      ['id', id],
      ['session_id', input.sessionId],
      ['chat_id', input.chatId],
      ['from', input.from],
      ['to', input.to],
      ['direction', 'outgoing'],
      ['type', input.type],
      ['body', input.body ?? null],
      ['media_id', input.mediaId ?? null],
      ['payload', JSON.stringify(input.payload ?? {}), true],
      ['status', 'pending'],
      ['idempotency_key', key],
      ['batch_id', input.batchId ?? null],
      ['timeline', JSON.stringify([{ status: 'pending', at: now.toISOString() }]), true],
      ['created_at', this.sql.date(now)],
      ['updated_at', this.sql.date(now)],
      ['due_at', this.sql.date(input.dueAt ?? now)],
    ];
    // Two sends without a key never share a batch key; the same key always does.
    return { id, key, batchKey: key === null ? `id\n${id}` : `key\n${key}`, columns };
  }

  /** One statement for the batch; the rows it did not insert are looked up by their keys, with one more. */
  private insertBatch(sessionId: string, batch: PendingRow[]): Promise<Map<string, Outcome>> {
    // In key order: two batches of a session in flight at once (two replicas, or one started
    // while the next filled) then wait for each other's keys in the same order. In call order
    // (PostgreSQL inserts a VALUES list in its order) they deadlocked when they shared keys in
    // opposite orders: one of them failed with 40P01.
    const rows = [...batch].sort((a, b) => compareKeys(a.key, b.key));
    return guardDriverErrors(async () => {
      // Every row has the same columns in the same order.
      const columns = rows[0].columns;
      const names = columns.map(([column]) => `"${column}"`).join(', ');
      const values = this.sql.valuesList(rows.length, columns.map(([, , jsonb]) => (jsonb ? this.sql.param('jsonb') : '?')));
      const inserted = await this.sql.rows(
        `insert into "messages" (${names}) values ${values} on conflict do nothing returning ${MESSAGE_COLUMNS}`,
        rows.flatMap((row) => row.columns.map(([, value]) => value)),
      );
      const created = new Map(inserted.map((found) => [found.id as string, messageFromRow(this.sql, found)]));
      // Nothing inserted for a key: it is taken (a concurrent or earlier send with it); that row is the answer.
      const takenKeys = rows.filter((row) => !created.has(row.id) && row.key !== null).map((row) => row.key as string);
      const existing = await this.findByKeys(sessionId, takenKeys);
      const outcomes = new Map<string, Outcome>();
      for (const row of rows) {
        const mine = created.get(row.id);
        const earlier = row.key === null ? undefined : existing.get(row.key);
        if (mine) outcomes.set(row.batchKey, { message: mine, created: true });
        else if (earlier) outcomes.set(row.batchKey, { message: earlier, created: false });
        else outcomes.set(row.batchKey, DatabaseError.conflict('a message with the same id already exists', { sessionId }));
      }
      return outcomes;
    });
  }

  private async findByKeys(sessionId: string, keys: string[]): Promise<Map<string, MessageEntity>> {
    if (keys.length === 0) return new Map();
    const found = await this.sql.rows(
      `select ${MESSAGE_COLUMNS} from "messages" where "session_id" = ? and "idempotency_key" in (${this.sql.placeholders(keys.length)})`,
      [sessionId, ...keys],
    );
    return new Map(found.map((row) => [row.idempotency_key as string, messageFromRow(this.sql, row)]));
  }
}

/** Keyed rows first, by key; rows without a key (nothing to conflict on) after them. */
function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}
