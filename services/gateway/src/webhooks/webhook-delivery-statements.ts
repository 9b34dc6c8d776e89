import { Injectable } from '@nestjs/common';
import { Database, type NewWebhookDelivery, type SqlRow, SqlStatements, type RecordedAttempt, type StoredDelivery, type WebhookAttempt, type WebhookDeliveryStatus } from '@plugboard/database';

/** What one try needs of its delivery row, read fresh before the try. */
export interface DeliveryForTry {
  id: string;
  webhookId: string;
  eventId: string;
  status: WebhookDeliveryStatus;
  round: number;
  attempts: WebhookAttempt[];
  updatedAt: Date;
  /** The event envelope as it is POSTed (JSON text). */
  body: string;
}

/** Rows per INSERT: keeps the bound parameters far below SQLite's limit whatever the fan-out. */
const INSERT_CHUNK = 500;

/**
 * The statements of the delivery hot path, each one round trip for a whole batch: fan-out
 * inserts its rows in one INSERT, tries read their rows in one SELECT, and a batch of tries
 * is recorded in one UPDATE (one commit, atomic without a transaction). The same rules as
 * the delivery repository: rows are created idempotently by id, and a try is recorded only
 * while its row is pending in the try's round and unchanged since it was read.
 */
@Injectable()
export class WebhookDeliveryStatements {
  private readonly sql: SqlStatements;

  constructor(database: Database) {
    this.sql = new SqlStatements(database.orm);
  }

  /**
   * Inserts the deliveries that do not exist yet and returns every row of `rows`' ids as
   * stored (new or earlier), so the caller enqueues only the ones still pending. Only the
   * earlier rows are read back.
   */
  async insertPending(rows: NewWebhookDelivery[]): Promise<StoredDelivery[]> {
    const stored: StoredDelivery[] = [];
    for (let from = 0; from < rows.length; from += INSERT_CHUNK) stored.push(...(await this.insertChunk(rows.slice(from, from + INSERT_CHUNK))));
    return stored;
  }

  /** The rows of `ids` that exist (order not kept). */
  async readForTries(ids: readonly string[]): Promise<DeliveryForTry[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const rows = await this.sql.rows(
      `select "id", "webhook_id", "event_id", "payload", "status", "round", "attempts", "updated_at" from "webhook_deliveries" where "id" in (${this.sql.placeholders(unique.length)})`,
      unique,
    );
    return rows.map((row) => ({
      id: row.id as string,
      webhookId: row.webhook_id as string,
      eventId: row.event_id as string,
      status: row.status as WebhookDeliveryStatus,
      round: Number(row.round),
      attempts: this.sql.readJson<WebhookAttempt[]>(row.attempts),
      updatedAt: this.sql.readDate(row.updated_at),
      body: this.sql.readJsonText(row.payload),
    }));
  }

  /**
   * Appends each try to its row and applies its outcome, in one statement, only where the
   * row is still pending in the try's round and unchanged since `read` (a stale try changes
   * nothing). Every try must carry the row as read. Applied flags in the order of `tries`.
   */
  async recordAttempts(tries: RecordedAttempt[]): Promise<boolean[]> {
    const applied = new Array<boolean>(tries.length).fill(false);
    // One row can take one try per statement: a repeated id waits for the next statement.
    for (let rest = tries.map((tried, index) => ({ tried, index })); rest.length > 0; ) {
      const seen = new Set<string>();
      const batch = rest.filter(({ tried }) => !seen.has(tried.id) && seen.add(tried.id));
      rest = rest.filter((entry) => !batch.includes(entry));
      const updated = new Set((await this.updateTries(batch.map((entry) => entry.tried))).map((row) => row.id as string));
      for (const { tried, index } of batch) applied[index] = updated.has(tried.id);
    }
    return applied;
  }

  private async insertChunk(rows: NewWebhookDelivery[]): Promise<StoredDelivery[]> {
    if (rows.length === 0) return [];
    const { sql } = this;
    const at = new Date();
    const now = sql.date(at);
    const tuple = ['?', '?', '?', '?', '?', sql.param('jsonb'), "'pending'", '0', sql.param('jsonb'), '?', '?', '?'];
    const params = rows.flatMap((r) => [r.id, r.webhookId, r.sessionId, r.eventId, r.eventType, JSON.stringify(r.payload), '[]', now, now, now]);
    const inserted = await sql.rows(
      `insert into "webhook_deliveries" ("id", "webhook_id", "session_id", "event_id", "event_type", "payload", "status", "round", "attempts", "next_attempt_at", "created_at", "updated_at") ` +
        // Another gateway may insert the same ids at the same moment: theirs wins, same content.
        `values ${this.sql.valuesList(rows.length, tuple)} on conflict ("id") do nothing returning "id"`,
      params,
    );
    const fresh: StoredDelivery[] = inserted.map((row) => ({ id: row.id as string, status: 'pending', round: 0, attempts: [], nextAttemptAt: at }));
    if (fresh.length === rows.length) return fresh;
    const known = new Set(fresh.map((row) => row.id));
    const earlierIds = rows.filter((r) => !known.has(r.id)).map((r) => r.id);
    const earlier = await sql.rows(
      `select "id", "status", "round", "attempts", "next_attempt_at" from "webhook_deliveries" where "id" in (${this.sql.placeholders(earlierIds.length)})`,
      earlierIds,
    );
    return [...fresh, ...earlier.map((row) => this.storedFrom(row))];
  }

  private updateTries(tries: RecordedAttempt[]): Promise<SqlRow[]> {
    const { sql } = this;
    const now = new Date();
    const tuple = ['?', sql.param('int'), sql.param('timestamptz'), sql.param('jsonb'), sql.param('text'), sql.param('timestamptz'), sql.param('timestamptz')];
    const params = tries.flatMap(({ id, attempt, outcome, read }) => {
      if (!read) throw new Error(`the try of delivery ${id} was recorded without the row as read`);
      return [
        id,
        attempt.round,
        sql.date(read.updatedAt),
        JSON.stringify([...read.attempts, attempt]),
        outcome.status,
        sql.date(outcome.status === 'pending' ? outcome.nextAttemptAt : null),
        sql.date(outcome.status === 'delivered' ? now : null),
      ];
    });
    return sql.rows(
      `with "tried" ("try_id", "try_round", "read_at", "attempts", "status", "next_attempt_at", "delivered_at") as (values ${this.sql.valuesList(tries.length, tuple)}) ` +
        `update "webhook_deliveries" set "attempts" = "tried"."attempts", "status" = "tried"."status", "next_attempt_at" = "tried"."next_attempt_at", ` +
        `"delivered_at" = "tried"."delivered_at", "updated_at" = ${sql.param('timestamptz')} ` +
        `from "tried" where "webhook_deliveries"."id" = "tried"."try_id" and "webhook_deliveries"."status" = 'pending' ` +
        `and "webhook_deliveries"."round" = "tried"."try_round" and "webhook_deliveries"."updated_at" = "tried"."read_at" returning "id"`,
      [...params, sql.date(now)],
    );
  }

  private storedFrom(row: SqlRow): StoredDelivery {
    return {
      id: row.id as string,
      status: row.status as WebhookDeliveryStatus,
      round: Number(row.round),
      attempts: this.sql.readJson<WebhookAttempt[]>(row.attempts),
      nextAttemptAt: this.sql.readOptionalDate(row.next_attempt_at),
    };
  }
}
