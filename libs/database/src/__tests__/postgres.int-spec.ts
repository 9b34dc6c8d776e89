import type { MikroORM } from '@mikro-orm/core';
import { type TestDatabase, backendReachable, createTestDatabase, freePort, testBackends } from '@plugboard/testing';
import { DatabaseConnector } from '../database-connector';
import { DatabaseHealth } from '../database.health';
import { openDatabase } from '../open-database';
import { runMessageAnnouncementsContract } from './message-announcements.contract';
import { runMessageCountsContract } from './message-counts.contract';
import { runRepositoryContract } from './repositories.contract';
import { runWebhookSecretsContract } from './webhook-secrets.contract';
import { runWebhookCursorsContract } from './webhook-cursors.contract';
import { MikroORM as Orm } from '@mikro-orm/core';
import { createDatabaseOptions } from '../database.config';

const url = testBackends.databaseUrl;
let reachable = false;
let database: TestDatabase | undefined;
let orm: MikroORM;
let other: MikroORM;

// Skips when PostgreSQL is down; under CI=true backendReachable throws instead, failing the file.
beforeAll(async () => {
  reachable = await backendReachable('PostgreSQL', url);
  if (!reachable) return;
  database = await createTestDatabase();
  orm = await openDatabase(database.config, { migrate: true });
  other = await openDatabase(database.config);
});

afterAll(async () => {
  await other?.close(true);
  await orm?.close(true);
  await database?.drop();
});

runRepositoryContract('postgres', { orm: () => orm, other: () => other, available: () => reachable });
runMessageAnnouncementsContract('postgres', { orm: () => orm, other: () => other, available: () => reachable });
runMessageCountsContract('postgres', { orm: () => orm, other: () => other, available: () => reachable });
runWebhookSecretsContract('postgres', { orm: () => orm, other: () => other, available: () => reachable });
runWebhookCursorsContract('postgres', { orm: () => orm, other: () => other, available: () => reachable });

describe('postgres plug health', () => {
  beforeEach(({ skip }) => skip(!reachable, `PostgreSQL at ${url} is unreachable`));

  it('reports up with the SELECT 1 latency', async () => {
    const health = await new DatabaseHealth(orm, 'postgres').probe();
    expect(health).toMatchObject({ socket: 'database', plug: 'postgres', status: 'up' });
    expect(health.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('reports down with the reason for a port nobody listens on', async () => {
    const port = await freePort();
    const config = { ...database!.config, DATABASE_HOST: '127.0.0.1', DATABASE_PORT: port };
    const unreachable = await Orm.init(createDatabaseOptions(config));
    await unreachable.connect();
    try {
      const health = await new DatabaseHealth(unreachable, 'postgres').probe(2_000);
      expect(health).toMatchObject({ socket: 'database', plug: 'postgres', status: 'down' });
      expect(health.detail).toMatch(/ECONNREFUSED|connect/i);
    } finally {
      await unreachable.close(true);
    }
  });

  it('keeps retrying an unreachable database in the background and reports why', async () => {
    const port = await freePort();
    const config = { ...database!.config, DATABASE_HOST: '127.0.0.1', DATABASE_PORT: port };
    const unreachable = await Orm.init(createDatabaseOptions(config));
    const connector = new DatabaseConnector(unreachable, config, { initialDelayMs: 50, maxDelayMs: 100 });
    await connector.start();
    try {
      expect(connector.state()).toMatchObject({ status: 'connecting', attempts: 1 });
      const health = await new DatabaseHealth(unreachable, 'postgres', connector).probe();
      expect(health.status).toBe('down');
      expect(health.detail).toMatch(/^connecting \(attempt 1\): /);
      await vi.waitFor(() => expect(connector.state().attempts).toBeGreaterThanOrEqual(3), { timeout: 10_000 });
    } finally {
      await connector.stop();
    }
  });

  it('comes up by itself once migrations have been applied', async () => {
    const connector = new DatabaseConnector(await Orm.init(createDatabaseOptions(database!.config)), database!.config);
    await connector.start();
    await connector.whenReady();
    expect(connector.state().status).toBe('ready');
    await connector.stop();
  });
});
