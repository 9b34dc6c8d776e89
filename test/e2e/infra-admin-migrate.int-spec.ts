import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestDatabase, backendReachable, createTestDatabase, testBackends } from '@plugboard/testing';
import { SCHEMA_VERSION, openDatabase, readSchemaVersion } from '@plugboard/database';
import { buildOnce, distMain } from './support/build';

/** Runs `infra-admin migrate` as a Kubernetes Job would, and resolves with its exit code and output. */
function migrate(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const cwd = mkdtempSync(join(tmpdir(), 'pb-migrate-'));
    const child = spawn(process.execPath, [distMain('infra-admin'), 'migrate'], { cwd, env: { PATH: process.env.PATH ?? '', ...env } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('infra-admin migrate (one-shot command)', () => {
  let reachable = false;
  let database: TestDatabase | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    reachable = await backendReachable('PostgreSQL', testBackends.databaseUrl);
    if (!reachable) return;
    await buildOnce();
    database = await createTestDatabase({ prefix: 'pb_migrate_test' });
    const db = database.config;
    env = {
      DATABASE_TYPE: 'postgres',
      DATABASE_HOST: db.DATABASE_HOST ?? '127.0.0.1',
      DATABASE_PORT: String(db.DATABASE_PORT),
      DATABASE_USERNAME: db.DATABASE_USERNAME ?? 'postgres',
      DATABASE_NAME: db.DATABASE_NAME,
      LOG_LEVEL: 'info',
    };
  }, 180_000);

  afterAll(async () => {
    await database?.drop();
  });

  it('migrates an empty database from two concurrent Jobs, then finds nothing to do', async ({ skip }) => {
    skip(!reachable, 'PostgreSQL unreachable');
    const [first, second] = await Promise.all([migrate(env), migrate(env)]);
    expect(first.code, first.output).toBe(0);
    expect(second.code, second.output).toBe(0);

    const again = await migrate(env);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain(`schema version ${SCHEMA_VERSION}`);

    // Opening without migrate succeeds only when nothing is pending.
    const orm = await openDatabase(database!.config, { migrate: false });
    try {
      expect(await readSchemaVersion(orm.em)).toBe(SCHEMA_VERSION);
    } finally {
      await orm.close(true);
    }
  });

  it('exits 1 with the reason when the database cannot be reached', async ({ skip }) => {
    skip(!reachable, 'PostgreSQL unreachable');
    const result = await migrate({ ...env, DATABASE_PORT: '1' });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/migrate failed: .*(ECONNREFUSED|connect)/);
    expect(result.output).not.toMatch(/^\s+at /m);
  });
});
