import type { MikroORM } from '@mikro-orm/core';
import type { AbstractSqlConnection } from '@mikro-orm/postgresql';
import { type DatabaseConfig, openDatabase } from '@plugboard/database';
import { type TestDatabase, backendReachable, createTestDatabase, testBackends } from '@plugboard/testing';
import { PagePool } from './page-pool';
import { planCopy, readCopyLines } from './postgres-row-lines';
import { type TableSpec, buildTableCatalog } from './table-catalog';
import { readTable } from './table-reader';
import { type PostgresTransferConnection, type TransferConnection, openTransferConnection } from './transfer-connection';

const url = testBackends.databaseUrl;
let reachable = false;
let database: TestDatabase | undefined;
let orm: MikroORM;

/** Values where the text PostgreSQL sends and the driver-parsed value are easiest to tell apart. */
async function seedAwkwardValues(): Promise<void> {
  const knex = (orm.em.getConnection() as unknown as AbstractSqlConnection).getKnex();
  await knex.raw(`insert into sessions (id, name, engine, config, created_at, updated_at) values ('s1', 'one', 'simulator', '{"b": 1, "a": [1.50, 1e400, 12345678901234567890, -0, "\\u00e9\\n"], "10": {"2": 0}}', now(), now())`);
  const texts = ['plain', 'quote " backslash \\ tab \t newline \n', 'control \u0001\u001f \b\f\r\v del \u007f', 'é ✓ 😀 \u2028\u2029', '', 'a: b, c'];
  const instants = [
    '2024-05-01 10:00:00.999999+00',
    '2024-05-01 10:00:00.5+00',
    '2024-05-01 10:00:00.12+00',
    '2024-05-01 10:00:00+00',
    '2024-02-29 23:59:59.0001+02',
    '0100-01-01 00:00:00.123+00',
    '0099-06-01 12:00:00+00',
    '10000-01-01 00:00:00+00',
  ];
  for (let i = 0; i < 12; i++) {
    await knex.raw(
      `insert into messages (id, session_id, chat_id, "from", "to", direction, type, body, payload, timeline, lease_generation, created_at, updated_at, due_at, sent_at)
       values (?, 's1', 'c@c.us', 'me', 'c', 'outgoing', 'text', ?, ?::jsonb, ?::jsonb, ?, ?, now(), now(), ?)`,
      // The fifth id ends the first page of five: the next page starts after a key to be quoted.
      [i === 4 ? `m04'\\"` : `m${String(i).padStart(2, '0')}`, i === 5 ? null : texts[i % texts.length], JSON.stringify({ n: i, s: texts[i % texts.length] }), i === 7 ? '{"x": "y", "10": [true]}' : '[]', i % 2 ? null : -i * 1000, instants[i % instants.length], i % 3 ? null : instants[(i + 2) % instants.length]],
    );
  }
  await knex.raw(`insert into media (id, direction, key, mime_type, size, sha256, created_at) values ('a', 'inbound', 'k1', 'x/y', 5000000000, 'h', now()), ('b', 'inbound', 'k2', 'x/y', 9007199254740993, 'h', now()), ('c', 'inbound', 'k3', 'x/y', -9007199254740993, 'h', now())`);
  await knex.raw(`insert into webhook_cursors (stream, last_seq, updated_at) values ('EVENTS', 9007199254, now())`);
  await knex.raw(`insert into simulator_devices (session_id, paired, updated_at) values ('s1', true, now()), ('s2', false, now())`);
}

/** Every line of a table as the generic path writes it. */
async function normalisedLines(connection: TransferConnection, table: TableSpec): Promise<string> {
  let text = '';
  for await (const row of readTable(connection, table, 5)) text += `${JSON.stringify({ t: table.name, r: row })}\n`;
  return text;
}

async function postgresLines(connection: PostgresTransferConnection, table: TableSpec): Promise<string> {
  const plan = await planCopy(connection, table);
  if (!plan) throw new Error(`no COPY plan for ${table.name}`);
  let text = '';
  for await (const page of readCopyLines(connection, plan, new PagePool(), 5)) text += page.bytes.toString('utf8');
  return text;
}

beforeAll(async () => {
  reachable = await backendReachable('PostgreSQL', url);
  if (!reachable) return;
  database = await createTestDatabase({ prefix: 'pb_row_lines_test' });
  orm = await openDatabase(database.config, { migrate: true });
  await seedAwkwardValues();
});

afterAll(async () => {
  await orm?.close(true);
  await database?.drop();
});

describe('PostgreSQL row lines', () => {
  beforeEach(({ skip }) => skip(!reachable, `PostgreSQL at ${url} is unreachable`));

  /** Runs `check` in a transfer transaction of its own, rolled back at the end. */
  async function inTransaction(mode: 'read' | 'write', check: (connection: PostgresTransferConnection) => Promise<void>): Promise<void> {
    const connection = openTransferConnection({ orm, config: database!.config as DatabaseConfig });
    if (connection.dialect !== 'postgres') throw new Error('expected a PostgreSQL connection');
    try {
      await connection.begin(mode);
      await check(connection);
    } finally {
      await connection.close();
    }
  }
  const tables = () => buildTableCatalog(orm).filter((t) => !t.columns.some((c) => c.secret));

  // A zone of fixed offset: every instant then takes normaliseValue, and years before 1900 keep a sane offset.
  it.each(['UTC', 'Etc/GMT-5'])('are byte for byte the generic lines of every table without secrets (session time zone %s)', (zone) =>
    inTransaction('read', async (connection) => {
      await connection.query(`set local time zone '${zone}'`);
      for (const table of tables()) expect(await postgresLines(connection, table), table.name).toBe(await normalisedLines(connection, table));
    }),
  );

  it('leave tables with secrets, and columns of other types, to the generic path', () =>
    inTransaction('read', async (connection) => {
      const webhooks = buildTableCatalog(orm).find((t) => t.name === 'webhooks')!;
      expect(await planCopy(connection, webhooks)).toBeUndefined();
      const sessions = buildTableCatalog(orm).find((t) => t.name === 'sessions')!;
      const asText = { ...sessions, columns: sessions.columns.map((c) => (c.name === 'config' ? { ...c, kind: 'text' as const } : c)) };
      expect(await planCopy(connection, asText)).toBeUndefined();
    }));

  it('refuse an instant the export cannot write, as the generic path does', () =>
    inTransaction('write', async (connection) => {
      await connection.query(`update messages set sent_at = 'infinity' where id = 'm00'`);
      const messages = tables().find((t) => t.name === 'messages')!;
      await expect(normalisedLines(connection, messages)).rejects.toThrow('not a date');
      await expect(postgresLines(connection, messages)).rejects.toThrow('not a date');
    }));
});
