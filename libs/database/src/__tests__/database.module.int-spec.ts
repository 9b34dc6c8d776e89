import { Test } from '@nestjs/testing';
import { freePort } from '@plugboard/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseConnector } from '../database-connector';
import { DatabaseHealth } from '../database.health';
import { DatabaseModule } from '../database.module';
import { SessionRepository } from '../repositories/session.repository';
import { sqliteConfig } from './sqlite-config';

describe('DatabaseModule', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plugboard-dbmodule-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('boots on SQLite, syncs the schema and provides working repositories', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [await DatabaseModule.forRoot(sqliteConfig(join(dir, 'module.sqlite')))],
    }).compile();
    const app = await moduleRef.init();
    try {
      await app.get(DatabaseConnector).whenReady();
      const session = await app.get(SessionRepository).create({ name: 'module-test', engine: 'simulator' });
      expect((await app.get(SessionRepository).get(session.id))?.name).toBe('module-test');
      expect(await app.get(DatabaseHealth).probe()).toMatchObject({ socket: 'database', plug: 'sqlite', status: 'up' });
    } finally {
      await app.close();
    }
  });

  it('starts even when PostgreSQL is unreachable, reporting down with the reason', async () => {
    const config = { ...sqliteConfig('unused'), DATABASE_TYPE: 'postgres' as const, DATABASE_SYNCHRONIZE: false };
    const moduleRef = await Test.createTestingModule({
      imports: [await DatabaseModule.forRoot({ ...config, DATABASE_HOST: '127.0.0.1', DATABASE_PORT: await freePort() })],
    }).compile();
    moduleRef.useLogger(false);
    const app = await moduleRef.init();
    try {
      const health = await app.get(DatabaseHealth).probe();
      expect(health).toMatchObject({ socket: 'database', plug: 'postgres', status: 'down' });
      expect(health.detail).toMatch(/connecting \(attempt \d+\): .*ECONNREFUSED/);
    } finally {
      await app.close();
    }
  });
});
