import type { MikroORM } from '@mikro-orm/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseHealth } from '../database.health';
import { openDatabase } from '../open-database';
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
});
