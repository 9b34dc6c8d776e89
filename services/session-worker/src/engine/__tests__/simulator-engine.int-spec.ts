import { openDatabase } from '@plugboard/database';
import { backendReachable, createTestDatabase, sqliteTestConfig, testBackends } from '@plugboard/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulatorContract } from './simulator-engine.contract';

describe('simulator engine on SQLite', () => {
  simulatorContract(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plugboard-simulator-'));
    const orm = await openDatabase(sqliteTestConfig(join(dir, 'simulator.sqlite')));
    return {
      orm,
      close: async () => {
        await orm.close(true);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});

describe('simulator engine on PostgreSQL (real PostgreSQL)', () => {
  let reachable = false;
  beforeAll(async () => {
    reachable = await backendReachable('PostgreSQL', testBackends.databaseUrl);
  });
  beforeEach(({ skip }) => skip(!reachable, `PostgreSQL at ${testBackends.databaseUrl} is unreachable`));

  simulatorContract(async () => {
    if (!(await backendReachable('PostgreSQL', testBackends.databaseUrl))) {
      return { orm: undefined as never, close: async () => undefined };
    }
    const db = await createTestDatabase({ prefix: 'plugboard_test_simulator' });
    const orm = await openDatabase(db.config, { migrate: true });
    return {
      orm,
      close: async () => {
        await orm.close(true);
        await db.drop();
      },
    };
  });
});
