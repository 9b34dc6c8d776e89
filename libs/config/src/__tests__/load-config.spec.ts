import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '@plugboard/contracts';
import { ConfigError, type ConfigProblem, formatConfigProblems, loadConfig } from '..';

const tempDirs: string[] = [];

/** An empty working directory, so no real .env on this machine leaks into a test. */
function tempCwd(files: Record<string, string> = {}): string {
  const cwd = mkdtempSync(join(tmpdir(), 'plugboard-config-'));
  tempDirs.push(cwd);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(cwd, path, '..'), { recursive: true });
    writeFileSync(join(cwd, path), content);
  }
  return cwd;
}

function problemsOf(env: Record<string, string>, cwd = tempCwd()): ConfigProblem[] {
  try {
    loadConfig({ env, cwd });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('gives every default with an empty environment', () => {
    const config = loadConfig({ env: {}, cwd: tempCwd() });
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      DATA_DIR: './data',
      PORT: 3000,
      HOST: '0.0.0.0',
      HEALTH_TIMEOUT_MS: 1500,
      SHUTDOWN_TIMEOUT_MS: 10_000,
      EXPECTED_SERVICES: ['gateway', 'session-worker', 'media-service', 'infra-admin'],
      BUS_TYPE: 'memory',
      BUS_REQUEST_TIMEOUT_MS: 5000,
      EVENTS_STREAM: 'WA_EVENTS',
      EVENTS_RETENTION: 7 * 86_400_000,
      QUEUE_TYPE: 'memory',
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: 6379,
      REDIS_TLS: false,
      REDIS_QUEUE_DB: 0,
      QUEUE_PREFIX: 'plugboard',
      REDIS_ENABLED: false,
      REDIS_BUILTIN: false,
      REDIS_CACHE_DB: 1,
      DATABASE_TYPE: 'sqlite',
      DATABASE_SYNCHRONIZE: true,
      SQLITE_PATH: './data/plugboard.sqlite',
      DATABASE_PORT: 5432,
      DATABASE_NAME: 'plugboard',
      DATABASE_POOL_SIZE: 10,
      DATABASE_SSL: false,
      POSTGRES_SCHEMA: 'public',
      POSTGRES_BUILTIN: false,
      STORAGE_TYPE: 'local',
      STORAGE_LOCAL_PATH: './data/media',
      STORAGE_FALLBACK: 'none',
      MINIO_BUILTIN: false,
      S3_REGION: 'us-east-1',
      S3_KEY_PREFIX: '',
      S3_REPROBE_INTERVAL_MS: 60_000,
      ENGINE_TYPE: 'whatsapp-web.js',
      ORCHESTRATOR: 'none',
    });
    for (const unset of ['INSTANCE_ID', 'API_MASTER_KEY', 'HTTP_PORT', 'NATS_URL', 'EVENTS_MAX_BYTES', 'DATABASE_HOST', 'S3_ENDPOINT'] as const) {
      expect(config[unset]).toBeUndefined();
    }
  });

  it('treats an empty or blank value as unset', () => {
    const config = loadConfig({ env: { PORT: '', BUS_TYPE: '  ' }, cwd: tempCwd() });
    expect(config.PORT).toBe(3000);
    expect(config.BUS_TYPE).toBe('memory');
  });

  it('parses durations, lists and comma-separated NATS servers', () => {
    const config = loadConfig({
      env: {
        BUS_TYPE: 'nats',
        NATS_URL: 'nats://127.0.0.1:4222, tls://nats-2.example:4443,wss://user:pw@[::1]:443/nats',
        EVENTS_RETENTION: '30m',
        EXPECTED_SERVICES: 'gateway, infra-admin',
      },
      cwd: tempCwd(),
    });
    expect(config.NATS_URL).toEqual(['nats://127.0.0.1:4222', 'tls://nats-2.example:4443', 'wss://user:pw@[::1]:443/nats']);
    expect(config.EVENTS_RETENTION).toBe(30 * 60_000);
    expect(config.EXPECTED_SERVICES).toEqual(['gateway', 'infra-admin']);
  });

  it('lets data paths follow DATA_DIR unless they are set', () => {
    expect(loadConfig({ env: { DATA_DIR: '/var/lib/plugboard/' }, cwd: tempCwd() })).toMatchObject({
      SQLITE_PATH: '/var/lib/plugboard/plugboard.sqlite',
      STORAGE_LOCAL_PATH: '/var/lib/plugboard/media',
    });
    expect(loadConfig({ env: { SQLITE_PATH: './db.sqlite' }, cwd: tempCwd() }).SQLITE_PATH).toBe('./db.sqlite');
  });

  it('fills in the bundled containers for *_BUILTIN', () => {
    const config = loadConfig({
      env: {
        DATABASE_TYPE: 'postgres',
        POSTGRES_BUILTIN: 'true',
        REDIS_BUILTIN: 'true',
        STORAGE_TYPE: 's3',
        MINIO_BUILTIN: 'true',
        S3_BUCKET: 'media',
        S3_ACCESS_KEY_ID: 'minio',
        S3_SECRET_ACCESS_KEY: 'minio-secret',
      },
      cwd: tempCwd(),
    });
    expect(config).toMatchObject({
      DATABASE_HOST: 'postgres',
      DATABASE_SYNCHRONIZE: false,
      REDIS_HOST: 'redis',
      S3_ENDPOINT: 'http://minio:9000',
    });
  });

  describe('TRUST_PROXY', () => {
    const trustProxy = (value: string) => loadConfig({ env: { TRUST_PROXY: value }, cwd: tempCwd() }).TRUST_PROXY;

    it('is off by default', () => {
      expect(loadConfig({ env: {}, cwd: tempCwd() }).TRUST_PROXY).toBe(false);
    });

    it.each([
      ['false', false],
      ['true', true],
      ['0', false],
      ['2', 2],
      ['127.0.0.1', ['127.0.0.1']],
      ['10.0.0.0/8, 192.168.1.10 ,fd00::/8', ['10.0.0.0/8', '192.168.1.10', 'fd00::/8']],
      ['loopback,uniquelocal', ['loopback', 'uniquelocal']],
    ])('takes %s as Fastify does', (value, expected) => {
      expect(trustProxy(value)).toEqual(expected);
    });

    it.each([['TRUE'], ['yes'], ['-1'], ['1.5'], ['10.0.0.0/33'], ['10.0.0.0/0'], ['::1/129'], ['127.1'], ['proxy.internal'], ['10.0.0.1,nginx'], ['10.0.0.0/8/8'], [',']])(
      'refuses %s',
      (value) => {
        const [problem, ...rest] = problemsOf({ TRUST_PROXY: value });
        expect(rest).toEqual([]);
        expect(problem).toEqual({ variable: 'TRUST_PROXY', value, message: expect.stringContaining('must be false, true, a hop count') });
      },
    );

    it('names the entries that are not addresses', () => {
      expect(problemsOf({ TRUST_PROXY: '10.0.0.1, nginx, 10.0.0.0/40' })[0].message).toMatch(/^not an IP or CIDR: "nginx", "10.0.0.0\/40"; /);
    });
  });

  describe('precedence', () => {
    it('takes env over .env over <DATA_DIR>/.env.generated', () => {
      const cwd = tempCwd({
        '.env': 'PORT=4000\nLOG_LEVEL=warn\n',
        'data/.env.generated': 'PORT=5000\nLOG_LEVEL=error\nQUEUE_PREFIX=generated\n',
      });
      const config = loadConfig({ env: { PORT: '3100' }, cwd });
      expect(config.PORT).toBe(3100);
      expect(config.LOG_LEVEL).toBe('warn');
      expect(config.QUEUE_PREFIX).toBe('generated');
    });

    it('finds .env.generated under the DATA_DIR given by .env, relative to cwd', () => {
      const cwd = tempCwd({ '.env': 'DATA_DIR=./state\n', 'state/.env.generated': 'BUS_TYPE=nats\nNATS_URL=nats://127.0.0.1:4222\n' });
      expect(loadConfig({ env: {}, cwd })).toMatchObject({ DATA_DIR: './state', BUS_TYPE: 'nats' });
    });

    it('finds .env.generated under the DATA_DIR given by env', () => {
      const cwd = tempCwd({ 'elsewhere/.env.generated': 'ENGINE_TYPE=simulator\n' });
      expect(loadConfig({ env: { DATA_DIR: join(cwd, 'elsewhere') }, cwd }).ENGINE_TYPE).toBe('simulator');
    });

    it('falls through an empty value to the next source', () => {
      const cwd = tempCwd({ '.env': 'PORT=\n', 'data/.env.generated': 'PORT=5000\n' });
      expect(loadConfig({ env: { PORT: '' }, cwd }).PORT).toBe(5000);
    });

    it('says which file a bad value came from', () => {
      const cwd = tempCwd({ 'data/.env.generated': 'BUS_TYPE=kafka\n' });
      expect(problemsOf({}, cwd)).toEqual([expect.objectContaining({ variable: 'BUS_TYPE', source: join('data', '.env.generated') })]);
    });
    it('reports an unreadable .env instead of ignoring it', () => {
      const cwd = tempCwd();
      mkdirSync(join(cwd, '.env'));
      expect(problemsOf({ PORT: 'abc' }, cwd).map((p) => p.variable)).toEqual(['.env', 'PORT']);
    });
  });

  describe('per-plug requirements', () => {
    it('needs NATS_URL only when BUS_TYPE=nats', () => {
      expect(loadConfig({ env: { BUS_TYPE: 'memory' }, cwd: tempCwd() }).NATS_URL).toBeUndefined();
      expect(problemsOf({ BUS_TYPE: 'nats' })).toEqual([
        { variable: 'NATS_URL', message: 'required when BUS_TYPE=nats' },
      ]);
    });

    it('needs DATABASE_HOST with postgres unless POSTGRES_BUILTIN=true', () => {
      expect(problemsOf({ DATABASE_TYPE: 'postgres' }).map((p) => p.variable)).toEqual(['DATABASE_HOST']);
      expect(loadConfig({ env: { DATABASE_TYPE: 'postgres', DATABASE_HOST: 'db' }, cwd: tempCwd() }).DATABASE_HOST).toBe('db');
    });

    it('needs bucket, keys and endpoint only when STORAGE_TYPE=s3', () => {
      expect(loadConfig({ env: { STORAGE_TYPE: 'local' }, cwd: tempCwd() }).S3_BUCKET).toBeUndefined();
      expect(problemsOf({ STORAGE_TYPE: 's3' }).map((p) => p.variable).sort()).toEqual(
        ['S3_ACCESS_KEY_ID', 'S3_BUCKET', 'S3_ENDPOINT', 'S3_SECRET_ACCESS_KEY'],
      );
    });

    it('refuses DATABASE_SYNCHRONIZE=true with postgres', () => {
      const problems = problemsOf({ DATABASE_TYPE: 'postgres', DATABASE_HOST: 'db', DATABASE_SYNCHRONIZE: 'true' });
      expect(problems).toEqual([expect.objectContaining({ variable: 'DATABASE_SYNCHRONIZE', value: 'true' })]);
      expect(problems[0].message).toMatch(/postgres/i);
    });
  });

  describe('problems', () => {
    it('names BUS_TYPE, its bad value and the accepted values', () => {
      const [problem, ...rest] = problemsOf({ BUS_TYPE: 'kafka' });
      expect(rest).toEqual([]);
      expect(problem).toEqual({
        variable: 'BUS_TYPE',
        value: 'kafka',
        message: 'must be one of memory, nats',
        accepted: ['memory', 'nats'],
      });
      expect(formatConfigProblems([problem])).toBe(
        'Invalid configuration (1 problem):\n  BUS_TYPE="kafka": must be one of memory, nats',
      );
    });

    it('reports two bad variables together', () => {
      const problems = problemsOf({ BUS_TYPE: 'kafka', PORT: 'abc' });
      expect(problems.map((p) => p.variable).sort()).toEqual(['BUS_TYPE', 'PORT']);
      const text = formatConfigProblems(problems);
      expect(text.split('\n')[0]).toBe('Invalid configuration (2 problems):');
      expect(text).toContain('  BUS_TYPE="kafka": must be one of memory, nats');
      expect(text).toContain('  PORT="abc": ');
    });

    it('reports a field error and a missing plug variable together', () => {
      expect(problemsOf({ BUS_TYPE: 'nats', PORT: 'abc' }).map((p) => p.variable).sort()).toEqual(['NATS_URL', 'PORT']);
    });

    it.each([
      ['http://127.0.0.1:4222'],
      ['nats://127.0.0.1'],
      ['nats://127.0.0.1:port'],
      ['nats://:4222'],
      ['nats://127.0.0.1:70000'],
      ['nats://127.0.0.1:4222,not a url'],
    ])('refuses the malformed NATS_URL %s', (url) => {
      expect(problemsOf({ BUS_TYPE: 'nats', NATS_URL: url })).toEqual([
        expect.objectContaining({ variable: 'NATS_URL', value: url }),
      ]);
    });

    it('refuses a malformed S3_ENDPOINT', () => {
      expect(problemsOf({ S3_ENDPOINT: 'ftp://files.example' })).toEqual([
        expect.objectContaining({ variable: 'S3_ENDPOINT', value: 'ftp://files.example' }),
      ]);
    });

    it.each([['abc'], ['30s'], ['-1'], ['1.5'], ['0'], ['65536']])('refuses the port %s', (port) => {
      expect(problemsOf({ PORT: port })).toEqual([expect.objectContaining({ variable: 'PORT', value: port })]);
    });

    it.each([['yes'], ['1'], ['TRUE']])('refuses the boolean %s', (value) => {
      expect(problemsOf({ REDIS_TLS: value })).toEqual([
        expect.objectContaining({ variable: 'REDIS_TLS', value, message: 'must be true or false', accepted: ['true', 'false'] }),
      ]);
    });

    it('refuses an unknown service in EXPECTED_SERVICES', () => {
      expect(problemsOf({ EXPECTED_SERVICES: 'gateway,billing' })).toEqual([
        expect.objectContaining({ variable: 'EXPECTED_SERVICES', accepted: ['gateway', 'session-worker', 'media-service', 'infra-admin'] }),
      ]);
    });

    it('refuses a malformed duration', () => {
      expect(problemsOf({ EVENTS_RETENTION: '1w' }).map((p) => p.variable)).toEqual(['EVENTS_RETENTION']);
    });

    it('never echoes a secret value', () => {
      const secrets = {
        API_MASTER_KEY: 'too-short-key',
        REDIS_PASSWORD: 'hunter2-redis',
        DATABASE_PASSWORD: 'hunter2-database',
        S3_ACCESS_KEY_ID: 'AKIA-SECRET-ID',
        S3_SECRET_ACCESS_KEY: 'hunter2-s3',
      };
      // Each secret is given, but the config fails elsewhere; the short master key also fails itself.
      const error = (() => {
        try {
          loadConfig({ env: { ...secrets, STORAGE_TYPE: 's3', BUS_TYPE: 'nats', NATS_URL: 'nats://admin:hunter2-nats@host' }, cwd: tempCwd() });
        } catch (thrown) {
          return thrown as ConfigError;
        }
        throw new Error('expected a ConfigError');
      })();
      const apiKeyProblem = error.problems.find((p) => p.variable === 'API_MASTER_KEY');
      expect(apiKeyProblem).toEqual({ variable: 'API_MASTER_KEY', message: 'must be at least 24 characters long' });
      const everything = `${error.message}\n${JSON.stringify(error.problems)}\n${formatConfigProblems(error.problems)}`;
      for (const secret of [...Object.values(secrets), 'hunter2-nats']) expect(everything).not.toContain(secret);
    });

    it('keeps the value of S3_KEY_PREFIX, which is not a secret', () => {
      expect(loadConfig({ env: { S3_KEY_PREFIX: 'tenant-a/' }, cwd: tempCwd() }).S3_KEY_PREFIX).toBe('tenant-a/');
    });

    it('carries the validation error code and the formatted text as its message', () => {
      const error = new ConfigError([{ variable: 'PORT', value: 'abc', message: 'must be a whole number' }]);
      expect(error.code).toBe(ErrorCode.ValidationFailed);
      expect(error.message).toBe('Invalid configuration (1 problem):\n  PORT="abc": must be a whole number');
    });
  });
});
