import type { MikroORM } from '@mikro-orm/core';
import { type TestDatabase, backendReachable, createTestDatabase, testBackends } from '@plugboard/testing';
import { ErrorCode } from '@plugboard/contracts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseConnector } from '../database-connector';
import { DatabaseError } from '../database.errors';
import { openDatabase } from '../open-database';
import { runMigrations } from '../run-migrations';
import { MIGRATIONS } from '../migrations/migrations.list';
import { SCHEMA_VERSION, readSchemaVersion } from '../schema-version';
import { sqliteConfig } from './sqlite-config';
import { MikroORM as Orm } from '@mikro-orm/core';
import { createDatabaseOptions } from '../database.config';

const url = testBackends.databaseUrl;
const TOO_NEW = /^database schema version \d+ is newer than this release supports \(\d+\): upgrade Plugboard or restore a matching backup$/;

describe('PostgreSQL migrations (real PostgreSQL)', () => {
  let reachable = false;
  const databases: TestDatabase[] = [];
  const orms: MikroORM[] = [];

  beforeAll(async () => {
    reachable = await backendReachable('PostgreSQL', url);
  });
  beforeEach(({ skip }) => skip(!reachable, `PostgreSQL at ${url} is unreachable`));
  afterAll(async () => {
    await Promise.all(orms.map((orm) => orm.close(true)));
    await Promise.all(databases.map((db) => db.drop()));
  });

  async function freshDatabase(): Promise<TestDatabase> {
    const db = await createTestDatabase();
    databases.push(db);
    return db;
  }

  async function connected(db: TestDatabase): Promise<MikroORM> {
    const orm = await Orm.init(createDatabaseOptions(db.config));
    orms.push(orm);
    await orm.connect();
    return orm;
  }

  const tables = async (orm: MikroORM) =>
    (
      (await orm.em
        .getConnection()
        .execute(`select table_name from information_schema.tables where table_schema = 'public' order by table_name`)) as {
        table_name: string;
      }[]
    ).map((row) => row.table_name);

  it('applies every migration to an empty database and stamps the schema version', async () => {
    const orm = await connected(await freshDatabase());
    expect(await tables(orm)).toEqual([]);
    const result = await runMigrations(orm);
    expect(result.applied).toEqual(MIGRATIONS.map((m) => m.name));
    expect(await tables(orm)).toEqual(
      expect.arrayContaining(['api_keys', 'audit_logs', 'message_batches', 'messages', 'mikro_orm_migrations', 'schema_info', 'sessions']),
    );
    expect(await readSchemaVersion(orm.em)).toBe(SCHEMA_VERSION);
    // The committed migration matches the entities: nothing left to generate.
    expect(await orm.migrator.checkMigrationNeeded()).toBe(false);
    expect((await runMigrations(orm)).applied).toEqual([]);
  });

  it('applies migrations once when two migrators run concurrently, and both succeed', async () => {
    const db = await freshDatabase();
    const [a, b] = await Promise.all([connected(db), connected(db)]);
    const results = await Promise.all([runMigrations(a), runMigrations(b)]);
    expect(results.map((r) => r.applied.length).sort()).toEqual([0, MIGRATIONS.length]);
    const ledger = (await a.em.getConnection().execute('select name from mikro_orm_migrations')) as { name: string }[];
    expect(ledger.map((row) => row.name)).toEqual(MIGRATIONS.map((m) => m.name));
  });

  it('upgrades to version 7 with every received message counted as announced, so nothing is published again', async () => {
    const orm = await connected(await freshDatabase());
    await orm.migrator.up({ to: 'Migration0006MessageSchedule' });
    expect(await readSchemaVersion(orm.em)).toBe(6);
    const db = orm.em.getConnection();
    await db.execute(`insert into sessions (id, name, engine, status, desired_state, config, lease_generation, created_at, updated_at)
      values ('s1', 's1', 'simulator', 'created', 'running', '{}', 0, now(), now())`);
    const row = (id: string, direction: string) =>
      `('${id}', 's1', 'c', 'c', 'me', '${direction}', 'text', '{}', 'delivered', '[]', '2026-01-01T00:00:00Z', now(), '2026-01-01T00:00:00Z')`;
    await db.execute(`insert into messages (id, session_id, chat_id, "from", "to", direction, type, payload, status, timeline, created_at, updated_at, due_at)
      values ${row('in-1', 'incoming')}, ${row('out-1', 'outgoing')}`);

    expect((await orm.migrator.up({ to: 'Migration0007MessageAnnounced' })).map((m) => m.name)).toEqual(['Migration0007MessageAnnounced']);
    expect(await readSchemaVersion(orm.em)).toBe(7);
    const rows = (await db.execute(`select id, announced_at = created_at as announced, announced_at is null as owed from messages order by id`)) as {
      id: string;
      announced: boolean | null;
      owed: boolean;
    }[];
    expect(rows).toEqual([
      { id: 'in-1', announced: true, owed: false },
      { id: 'out-1', announced: null, owed: true },
    ]);
    const [index] = (await db.execute(`select indexdef from pg_indexes where indexname = 'messages_unannounced_index'`)) as { indexdef: string }[];
    expect(index?.indexdef).toMatch(/WHERE \(\(announced_at IS NULL\) AND/);
  });

  it('upgrades to version 8 with every webhook keeping its secret and none before it', async () => {
    const orm = await connected(await freshDatabase());
    await orm.migrator.up({ to: 'Migration0007MessageAnnounced' });
    const db = orm.em.getConnection();
    await db.execute(`insert into sessions (id, name, engine, status, desired_state, config, lease_generation, created_at, updated_at)
      values ('s1', 's1', 'simulator', 'created', 'running', '{}', 0, now(), now())`);
    await db.execute(`insert into webhooks (id, session_id, url, events, secret, headers, active, retry_attempts, retry_backoff_ms, created_at, updated_at)
      values ('w1', 's1', 'https://hooks.example.com/a', '["*"]', 'whsec_kept', '{}', true, 3, 10, now(), now())`);

    expect((await orm.migrator.up({ to: 'Migration0008WebhookPreviousSecret' })).map((m) => m.name)).toEqual(['Migration0008WebhookPreviousSecret']);
    expect(await readSchemaVersion(orm.em)).toBe(8);
    expect(await db.execute(`select secret, previous_secret, previous_secret_expires_at from webhooks`)).toEqual([
      { secret: 'whsec_kept', previous_secret: null, previous_secret_expires_at: null },
    ]);
  });

  it('refuses a database stamped by a newer release, with a clear message', async () => {
    const db = await freshDatabase();
    const orm = await connected(db);
    await runMigrations(orm);
    await orm.em.getConnection().execute(`update schema_info set version = ${SCHEMA_VERSION + 6}`);

    const error = await runMigrations(orm).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code: ErrorCode.Internal, message: expect.stringMatching(TOO_NEW) });
    await expect(openDatabase(db.config)).rejects.toThrow(TOO_NEW);

    // A service booting against it fails its start instead of retrying forever.
    const connector = new DatabaseConnector(await connected(db), db.config);
    await expect(connector.start()).rejects.toThrow(TOO_NEW);
    expect(connector.state()).toMatchObject({ status: 'failed', reason: expect.stringMatching(TOO_NEW) });
  });

  it('refuses a database whose ledger holds a migration this release lacks', async () => {
    const db = await freshDatabase();
    const orm = await connected(db);
    await runMigrations(orm);
    await orm.em.getConnection().execute(`insert into mikro_orm_migrations (name, executed_at) values ('Migration9999Future', now())`);
    await expect(runMigrations(orm)).rejects.toThrow(/Migration9999Future.*upgrade Plugboard or restore a matching backup/);
  });
});

describe('SQLite schema sync', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plugboard-sqlite-version-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a database stamped by a newer release before touching its schema', async () => {
    const config = sqliteConfig(join(dir, 'db.sqlite'));
    const orm = await openDatabase(config);
    await orm.em.getConnection().execute(`update schema_info set version = ${SCHEMA_VERSION + 1}`);
    await orm.close(true);
    await expect(openDatabase(config)).rejects.toThrow(TOO_NEW);
  });
});
