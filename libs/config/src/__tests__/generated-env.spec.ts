import { BUILTIN_HOSTS, mergeGeneratedEnv } from '..';

const POSTGRES_FILE = {
  DATABASE_TYPE: 'postgres',
  DATABASE_HOST: 'db.internal',
  DATABASE_PORT: '5433',
  DATABASE_USERNAME: 'plugboard',
  DATABASE_PASSWORD: 'secret',
  DATABASE_NAME: 'pb',
  DATABASE_SSL: 'true',
  DATABASE_POOL_SIZE: '20',
  POSTGRES_SCHEMA: 'pb',
  LOG_LEVEL: 'debug',
};

describe('mergeGeneratedEnv', () => {
  it('sets, changes and (with "") removes variables, reporting what changed', () => {
    const merged = mergeGeneratedEnv({ LOG_LEVEL: 'debug', PORT: '4000' }, { general: { LOG_LEVEL: 'warn', PORT: '', HOST: '127.0.0.1' } });
    expect(merged).toEqual({ values: { LOG_LEVEL: 'warn', HOST: '127.0.0.1' }, problems: [], changed: ['HOST', 'LOG_LEVEL', 'PORT'], envPinned: [] });
  });

  it('keeps a secret given as "" unchanged', () => {
    const merged = mergeGeneratedEnv(POSTGRES_FILE, { database: { DATABASE_PASSWORD: '', DATABASE_HOST: 'db2' } });
    expect(merged.values).toMatchObject({ DATABASE_PASSWORD: 'secret', DATABASE_HOST: 'db2' });
    expect(merged.changed).toEqual(['DATABASE_HOST']);
  });

  it('postgres → sqlite drops every PostgreSQL-only variable and keeps the rest', () => {
    const merged = mergeGeneratedEnv(POSTGRES_FILE, { database: { DATABASE_TYPE: 'sqlite' } });
    expect(merged.values).toEqual({ DATABASE_TYPE: 'sqlite', LOG_LEVEL: 'debug' });
  });

  it('sqlite → postgres drops SQLITE_PATH and DATABASE_SYNCHRONIZE, which PostgreSQL refuses or ignores', () => {
    const merged = mergeGeneratedEnv(
      { SQLITE_PATH: '/x.sqlite', DATABASE_SYNCHRONIZE: 'true' },
      { database: { DATABASE_TYPE: 'postgres', DATABASE_HOST: '127.0.0.1' } },
    );
    expect(merged.values).toEqual({ DATABASE_TYPE: 'postgres', DATABASE_HOST: '127.0.0.1' });
  });

  it('s3 → local drops S3_* and MINIO_BUILTIN', () => {
    const current = { STORAGE_TYPE: 's3', S3_ENDPOINT: 'http://s3:9000', S3_BUCKET: 'media', S3_ACCESS_KEY_ID: 'a', S3_SECRET_ACCESS_KEY: 'b', MINIO_BUILTIN: 'true' };
    expect(mergeGeneratedEnv(current, { files: { STORAGE_TYPE: 'local' } }).values).toEqual({ STORAGE_TYPE: 'local' });
  });

  it('BUS_TYPE=memory drops NATS_URL', () => {
    expect(mergeGeneratedEnv({ BUS_TYPE: 'nats', NATS_URL: 'nats://n:4222' }, { bus: { BUS_TYPE: 'memory' } }).values).toEqual({ BUS_TYPE: 'memory' });
  });

  it('REDIS_ENABLED=false drops REDIS_* unless the queue still uses Redis', () => {
    const current = { REDIS_ENABLED: 'true', REDIS_HOST: 'r', REDIS_PASSWORD: 'p', REDIS_CACHE_DB: '2' };
    expect(mergeGeneratedEnv(current, { cache: { REDIS_ENABLED: 'false' } }).values).toEqual({ REDIS_ENABLED: 'false' });
    expect(mergeGeneratedEnv({ ...current, QUEUE_TYPE: 'bullmq' }, { cache: { REDIS_ENABLED: 'false' } }).values).toEqual({ ...current, QUEUE_TYPE: 'bullmq', REDIS_ENABLED: 'false' });
    // Pinned by the environment counts too.
    expect(mergeGeneratedEnv(current, { cache: { REDIS_ENABLED: 'false' } }, { QUEUE_TYPE: 'bullmq' }).values).toMatchObject({ REDIS_HOST: 'r' });
  });

  it('*_BUILTIN=true fills in the bundled address unless the change gives one; false takes it away again', () => {
    expect(mergeGeneratedEnv({}, { database: { DATABASE_TYPE: 'postgres', POSTGRES_BUILTIN: 'true' } }).values).toEqual({
      DATABASE_TYPE: 'postgres',
      POSTGRES_BUILTIN: 'true',
      DATABASE_HOST: BUILTIN_HOSTS.postgres,
    });
    expect(mergeGeneratedEnv({}, { cache: { REDIS_BUILTIN: 'true' } }).values).toEqual({ REDIS_BUILTIN: 'true', REDIS_HOST: BUILTIN_HOSTS.redis });
    expect(mergeGeneratedEnv({}, { files: { MINIO_BUILTIN: 'true', S3_ENDPOINT: 'http://other:9000' } }).values).toEqual({ MINIO_BUILTIN: 'true', S3_ENDPOINT: 'http://other:9000' });
    expect(mergeGeneratedEnv({ MINIO_BUILTIN: 'true', S3_ENDPOINT: BUILTIN_HOSTS.minioEndpoint }, { files: { MINIO_BUILTIN: 'false' } }).values).toEqual({ MINIO_BUILTIN: 'false' });
  });

  it('lists the variables of the change that the environment or .env pins', () => {
    const merged = mergeGeneratedEnv({}, { general: { LOG_LEVEL: 'warn', PORT: '4000' } }, { PORT: '3000', HOST: '0.0.0.0' });
    expect(merged.envPinned).toEqual(['PORT']);
    expect(merged.values).toEqual({ LOG_LEVEL: 'warn', PORT: '4000' });
  });

  it('refuses, listing every problem: unknown sections and keys, wrong sections, DATA_DIR, line breaks (secret values hidden)', () => {
    const merged = mergeGeneratedEnv(
      {},
      {
        nosuch: { X: '1' },
        general: { NOT_A_VAR: '1', DATA_DIR: '/elsewhere', LOG_LEVEL: 'warn\nPORT=1' },
        database: { BUS_TYPE: 'nats', DATABASE_PASSWORD: 'a\rb' },
      },
    );
    expect(merged.values).toBeUndefined();
    expect(merged.problems).toEqual([
      expect.objectContaining({ variable: 'nosuch', message: 'unknown section' }),
      expect.objectContaining({ variable: 'NOT_A_VAR', message: 'unknown variable in section general' }),
      expect.objectContaining({ variable: 'DATA_DIR', message: expect.stringContaining('locates .env.generated') }),
      { variable: 'LOG_LEVEL', value: 'warn\nPORT=1', message: 'must not contain a line break (CR or LF)' },
      expect.objectContaining({ variable: 'BUS_TYPE', message: 'belongs to section bus, not database' }),
      { variable: 'DATABASE_PASSWORD', message: 'must not contain a line break (CR or LF)' },
    ]);
  });
});
