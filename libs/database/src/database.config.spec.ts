import { createDatabaseOptions, type DatabaseConfig } from './database.config';

const base: DatabaseConfig = {
  DATABASE_TYPE: 'postgres',
  DATABASE_SYNCHRONIZE: false,
  SQLITE_PATH: './data/x.sqlite',
  DATABASE_HOST: 'db',
  DATABASE_PORT: 5433,
  DATABASE_USERNAME: 'u',
  DATABASE_PASSWORD: 'p',
  DATABASE_NAME: 'plugboard',
  DATABASE_POOL_SIZE: 7,
  DATABASE_SSL: true,
  DATABASE_STATEMENT_TIMEOUT_MS: 1234,
  POSTGRES_SCHEMA: 'tenant_a',
};

describe('createDatabaseOptions', () => {
  it('maps the PostgreSQL variables, with schema, pool, TLS and statement timeout', () => {
    const options = createDatabaseOptions(base);
    expect(options).toMatchObject({ host: 'db', port: 5433, user: 'u', password: 'p', dbName: 'plugboard', schema: 'tenant_a' });
    expect(options.pool).toMatchObject({ max: 7 });
    expect(options.driverOptions).toMatchObject({
      connection: { ssl: true, statement_timeout: 1234, options: '-c search_path="tenant_a"' },
    });
    expect(options.connect).toBe(false);
  });

  it('points SQLite at SQLITE_PATH', () => {
    expect(createDatabaseOptions({ ...base, DATABASE_TYPE: 'sqlite' })).toMatchObject({ dbName: './data/x.sqlite' });
  });

  it('throws on an unknown plug instead of picking one', () => {
    expect(() => createDatabaseOptions({ ...base, DATABASE_TYPE: 'mysql' as never })).toThrow(
      'Unsupported DATABASE_TYPE "mysql": expected sqlite or postgres',
    );
  });
});
