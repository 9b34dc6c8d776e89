import type { MikroORM } from '@mikro-orm/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseHealth } from '../database.health';
import { openDatabase } from '../open-database';
import { MessageRepository } from '../repositories/message.repository';
import { SessionRepository } from '../repositories/session.repository';
import { SCHEMA_VERSION, readSchemaVersion } from '../schema-version';
import { runRepositoryContract } from './repositories.contract';
import { sqliteConfig } from './sqlite-config';

const dir = mkdtempSync(join(tmpdir(), 'plugboard-sqlite-'));

// The nested folder does not exist yet: the plug creates it.
const config = sqliteConfig(join(dir, 'nested', 'plugboard.sqlite'));
let orm: MikroORM;
let other: MikroORM;

beforeAll(async () => {
  orm = await openDatabase(config);
  other = await openDatabase(config);
});

afterAll(async () => {
  await other?.close(true);
  await orm?.close(true);
  rmSync(dir, { recursive: true, force: true });
});

runRepositoryContract('sqlite', { orm: () => orm, other: () => other, available: () => true });

describe('sqlite plug', () => {
  it('stamps the schema version after syncing', async () => {
    expect(await readSchemaVersion(orm.em)).toBe(SCHEMA_VERSION);
  });

  it('reports up with the SELECT 1 latency', async () => {
    const health = await new DatabaseHealth(orm, 'sqlite').probe();
    expect(health).toMatchObject({ socket: 'database', plug: 'sqlite', status: 'up' });
    expect(health.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('keeps every row when it reopens a database, and when it syncs an older one', async () => {
    const path = join(dir, 'reopen', 'plugboard.sqlite');
    const first = await openDatabase(sqliteConfig(path));
    const session = await new SessionRepository(first).create({ name: 'kept', engine: 'simulator' });
    const messages = new MessageRepository(first);
    await messages.insertPending({ sessionId: session.id, chatId: '15550001@c.us', from: 'me', to: '15550001@c.us', type: 'text', body: 'hi' });
    await first.close(true);

    // Same version: nothing to sync. Older version: the schema is updated, which rebuilds tables.
    for (const version of [SCHEMA_VERSION, SCHEMA_VERSION - 1]) {
      const again = await openDatabase(sqliteConfig(path));
      expect((await new MessageRepository(again).history(session.id)).items).toHaveLength(1);
      await again.em.getConnection().execute(`update schema_info set version = ${version - 1}`);
      await again.close(true);
    }
    const last = await openDatabase(sqliteConfig(path));
    expect((await new MessageRepository(last).history(session.id)).items).toHaveLength(1);
    expect(await readSchemaVersion(last.em)).toBe(SCHEMA_VERSION);
    await last.close(true);
  });
});
