import type { MikroORM } from '@mikro-orm/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseHealth } from '../database.health';
import { openDatabase } from '../open-database';
import { MessageRepository } from '../repositories/message.repository';
import { SessionRepository } from '../repositories/session.repository';
import { WebhookRepository } from '../repositories/webhook.repository';
import { SCHEMA_VERSION, readSchemaVersion } from '../schema-version';
import { runMessageAnnouncementsContract } from './message-announcements.contract';
import { runMessageCountsContract } from './message-counts.contract';
import { runRepositoryContract } from './repositories.contract';
import { runWebhookSecretsContract } from './webhook-secrets.contract';
import { runWebhookCursorsContract } from './webhook-cursors.contract';
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
runMessageAnnouncementsContract('sqlite', { orm: () => orm, other: () => other, available: () => true });
runMessageCountsContract('sqlite', { orm: () => orm, other: () => other, available: () => true });
runWebhookSecretsContract('sqlite', { orm: () => orm, other: () => other, available: () => true });
runWebhookCursorsContract('sqlite', { orm: () => orm, other: () => other, available: () => true });

describe('sqlite plug', () => {
  it('stamps the schema version after syncing', async () => {
    expect(await readSchemaVersion(orm.em)).toBe(SCHEMA_VERSION);
  });

  it('reports up with the SELECT 1 latency', async () => {
    const health = await new DatabaseHealth(orm, 'sqlite').probe();
    expect(health).toMatchObject({ socket: 'database', plug: 'sqlite', status: 'up' });
    expect(health.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('counts the received messages of a version 6 database as announced when it syncs it', async () => {
    const path = join(dir, 'announced', 'plugboard.sqlite');
    const first = await openDatabase(sqliteConfig(path));
    const session = await new SessionRepository(first).create({ name: 'older', engine: 'simulator' });
    const messages = new MessageRepository(first);
    const at = new Date('2026-01-01T00:00:00.000Z');
    const { message: incoming } = await messages.recordIncoming({ sessionId: session.id, waMessageId: 'wa-1', chatId: 'c', from: 'c', to: 'me', type: 'text', at });
    const { message: outgoing } = await messages.insertPending({ sessionId: session.id, chatId: 'c', from: 'me', to: 'c', type: 'text' });
    // As version 6 left it: no announced_at, no index on it.
    await first.em.getConnection().execute('drop index "messages_unannounced_index"');
    await first.em.getConnection().execute('alter table "messages" drop column "announced_at"');
    await first.em.getConnection().execute('update schema_info set version = 6');
    await first.close(true);

    const upgraded = await openDatabase(sqliteConfig(path));
    const again = new MessageRepository(upgraded);
    expect((await again.get(incoming.id))?.announcedAt?.toISOString()).toBe(at.toISOString());
    expect((await again.get(outgoing.id))?.announcedAt).toBeNull();
    // The partial index survives the sync's table rebuilds.
    const indexes = await upgraded.em.getConnection().execute<{ sql: string }[]>(`select sql from sqlite_master where name = 'messages_unannounced_index'`);
    expect(indexes[0]?.sql).toMatch(/where "announced_at" is null/);
    expect(await readSchemaVersion(upgraded.em)).toBe(SCHEMA_VERSION);
    await upgraded.close(true);
  });

  it('gives the webhooks of a version 7 database the previous-secret columns, empty, when it syncs it', async () => {
    const path = join(dir, 'previous-secret', 'plugboard.sqlite');
    const first = await openDatabase(sqliteConfig(path));
    const session = await new SessionRepository(first).create({ name: 'older', engine: 'simulator' });
    const input = { sessionId: session.id, url: 'https://hooks.example.com/a', events: ['*'], secret: 'whsec_kept', headers: {}, active: true, retryAttempts: 3, retryBackoffMs: 10 };
    const webhook = await new WebhookRepository(first).create(input);
    // As version 7 left it: no previous secret columns.
    await first.em.getConnection().execute('alter table "webhooks" drop column "previous_secret"');
    await first.em.getConnection().execute('alter table "webhooks" drop column "previous_secret_expires_at"');
    await first.em.getConnection().execute('update schema_info set version = 7');
    await first.close(true);

    const upgraded = await openDatabase(sqliteConfig(path));
    const webhooks = new WebhookRepository(upgraded);
    expect(await webhooks.get(webhook.id)).toMatchObject({ secret: 'whsec_kept', previousSecret: null, previousSecretExpiresAt: null });
    const until = new Date('2030-01-01T00:00:00.000Z');
    expect(await webhooks.rotateSecret(webhook.id, 'whsec_new', until)).toMatchObject({ secret: 'whsec_new', previousSecret: 'whsec_kept', previousSecretExpiresAt: until });
    expect(await readSchemaVersion(upgraded.em)).toBe(SCHEMA_VERSION);
    await upgraded.close(true);
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
