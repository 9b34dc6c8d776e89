import { z } from 'zod';
import { SERVICE_NAMES } from '@plugboard/contracts';
import { field } from './config-fields';

/** Where the bundled containers of docker-compose and k8s answer when a `*_BUILTIN` switch is on. */
export const BUILTIN_HOSTS = { postgres: 'postgres', redis: 'redis', minioEndpoint: 'http://minio:9000' } as const;

const NAME = /^[A-Za-z0-9_-]+$/;

/**
 * Every environment variable of Plugboard, keyed by its own name. Each field parses its raw
 * string and applies its default; the refinement below adds the per-plug requirements, so a
 * variable is required only when the plug that needs it is selected.
 */
const ConfigObjectSchema = z.object({
  // --- general ---
  NODE_ENV: field.enum(['development', 'production', 'test'], 'development'),
  LOG_LEVEL: field.enum(['debug', 'info', 'warn', 'error'], 'info'),
  DATA_DIR: field.string('./data'),
  // It ends up in NATS consumer names and metrics labels, where dots and spaces break things.
  INSTANCE_ID: field.pattern(NAME, "must contain only letters, digits, '-' and '_'"),
  API_MASTER_KEY: field.minLength(24),
  PORT: field.port('3000'),
  HTTP_PORT: field.optionalPort(),
  HOST: field.string('0.0.0.0'),
  // Which peers may set X-Forwarded-For: request.ip (key ipRanges, per-IP rate limit, audit) comes from it.
  TRUST_PROXY: field.trustProxy('false'),
  HEALTH_TIMEOUT_MS: field.integer('1500', { min: 1 }),
  METRICS_TOKEN: field.minLength(16),
  SHUTDOWN_TIMEOUT_MS: field.integer('10000', { min: 1 }),
  HEAP_GROWTH_PERCENT: field.integer('100', { max: 400 }),
  EXPECTED_SERVICES: field.list(SERVICE_NAMES),
  BODY_SIZE_LIMIT: field.integer('1048576', { min: 1 }),
  RATE_LIMIT_ENABLED: field.boolean('true'),
  RATE_LIMIT_PER_KEY_PER_MINUTE: field.integer('600', { min: 1 }),
  RATE_LIMIT_PER_IP_PER_MINUTE: field.integer('300', { min: 1 }),
  AUDIT_RETENTION_DAYS: field.integer('90', { min: 1 }),
  // --- bus ---
  BUS_TYPE: field.enum(['memory', 'nats'], 'memory'),
  NATS_URL: field.natsUrls(),
  BUS_REQUEST_TIMEOUT_MS: field.integer('5000', { min: 1 }),
  EVENTS_STREAM: field.pattern(NAME, "must contain only letters, digits, '-' and '_' (a JetStream stream name)", 'WA_EVENTS'),
  EVENTS_RETENTION: field.duration('7d'),
  EVENTS_MAX_BYTES: field.optionalInteger({ min: 1 }),
  // Prepended to every bus subject so isolated buses can share one NATS (parallel test runs); unset in production.
  BUS_SUBJECT_PREFIX: field.pattern(NAME, "must contain only letters, digits, '-' and '_' (a NATS subject token)"),
  // --- queue ---
  QUEUE_TYPE: field.enum(['memory', 'bullmq'], 'memory'),
  REDIS_HOST: field.optionalString(),
  REDIS_PORT: field.port('6379'),
  REDIS_USERNAME: field.optionalString(),
  REDIS_PASSWORD: field.optionalString(),
  REDIS_TLS: field.boolean('false'),
  REDIS_QUEUE_DB: field.integer('0'),
  QUEUE_PREFIX: field.string('plugboard'),
  // --- cache ---
  REDIS_ENABLED: field.boolean('false'),
  REDIS_BUILTIN: field.boolean('false'),
  REDIS_CACHE_DB: field.integer('1'),
  CACHE_TTL_SESSION_STATUS_S: field.integer('300', { min: 1 }),
  CACHE_TTL_SESSION_INFO_S: field.integer('600', { min: 1 }),
  CACHE_TTL_QR_S: field.integer('60', { min: 1 }),
  CACHE_TTL_SESSIONS_LIST_S: field.integer('30', { min: 1 }),
  CACHE_TTL_SESSIONS_STATS_S: field.integer('15', { min: 1 }),
  // --- database ---
  DATABASE_TYPE: field.enum(['sqlite', 'postgres'], 'sqlite'),
  DATABASE_SYNCHRONIZE: field.optionalBoolean(),
  SQLITE_PATH: field.optionalString(),
  DATABASE_HOST: field.optionalString(),
  DATABASE_PORT: field.port('5432'),
  DATABASE_USERNAME: field.optionalString(),
  DATABASE_PASSWORD: field.optionalString(),
  DATABASE_NAME: field.string('plugboard'),
  DATABASE_POOL_SIZE: field.integer('10', { min: 1 }),
  DATABASE_SSL: field.boolean('false'),
  DATABASE_STATEMENT_TIMEOUT_MS: field.integer('30000', { min: 1 }),
  POSTGRES_SCHEMA: field.pattern(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain SQL identifier', 'public'),
  POSTGRES_BUILTIN: field.boolean('false'),
  // --- files ---
  STORAGE_TYPE: field.enum(['local', 's3'], 'local'),
  STORAGE_LOCAL_PATH: field.optionalString(),
  STORAGE_FALLBACK: field.enum(['none', 'local'], 'none'),
  MINIO_BUILTIN: field.boolean('false'),
  S3_ENDPOINT: field.httpUrl(),
  S3_BUCKET: field.pattern(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    "must be an S3 bucket name: 3-63 lowercase letters, digits, '.' and '-'",
  ),
  S3_REGION: field.string('us-east-1'),
  S3_ACCESS_KEY_ID: field.optionalString(),
  S3_SECRET_ACCESS_KEY: field.optionalString(),
  S3_KEY_PREFIX: field.string(''),
  S3_REPROBE_INTERVAL_MS: field.integer('60000', { min: 1 }),
  // Internal HTTP addresses for byte streams between services, and the token they check.
  MEDIA_SERVICE_URL: field.httpUrl(),
  INFRA_ADMIN_URL: field.httpUrl(),
  INTERNAL_TOKEN: field.minLength(16),
  // media-service: upload cap, retention, backup import caps
  MEDIA_MAX_BYTES: field.integer('67108864', { min: 1 }),
  MEDIA_RETENTION_DAYS_INBOUND: field.integer('0', { min: 0 }),
  MEDIA_RETENTION_DAYS_OUTBOUND: field.integer('0', { min: 0 }),
  MEDIA_RETENTION_SWEEP_MS: field.integer('3600000', { min: 1000 }),
  MEDIA_IMPORT_MAX_BYTES: field.integer('10737418240', { min: 1 }),
  MEDIA_IMPORT_MAX_ENTRIES: field.integer('100000', { min: 1 }),
  MEDIA_IMPORT_MAX_RATIO: field.integer('100', { min: 1 }),
  // --- webhooks ---
  WEBHOOK_TIMEOUT_MS: field.integer('10000', { min: 1 }),
  WEBHOOK_MAX_PAYLOAD_BYTES: field.integer('262144', { min: 1 }),
  WEBHOOK_CONCURRENCY: field.integer('64', { min: 1 }),
  // Comma list of host names or IPs that webhooks and media fetches may reach although private.
  SSRF_ALLOWED_HOSTS: field.string(''),
  // --- engine ---
  ENGINE_TYPE: field.enum(['whatsapp-web.js', 'simulator'], 'whatsapp-web.js'),
  SIMULATOR_QR_ROTATE_MS: field.integer('20000', { min: 1 }),
  SIMULATOR_AUTO_PAIR_MS: field.integer('0'),
  SIMULATOR_ACK_DELAY_MS: field.integer('200'),
  PUPPETEER_EXECUTABLE_PATH: field.optionalString(),
  PUPPETEER_ARGS: field.string(
    '--no-sandbox --headless=new --disable-gpu --disable-dev-shm-usage --disable-background-networking --disable-component-update --disable-sync --no-first-run',
  ),
  SESSION_DATA_PATH: field.optionalString(),
  // Session leases and lifecycle (session-worker).
  SESSION_LEASE_TTL_MS: field.integer('30000', { min: 300 }),
  SESSION_START_STAGGER_MS: field.integer('500'),
  SESSION_RECONNECT_MAX_MS: field.integer('300000', { min: 1 }),
  MAX_SESSIONS_PER_WORKER: field.integer('50', { min: 1 }),
  // --- sending ---
  // 0 turns pacing off (benchmarks); WhatsApp bans numbers that send too fast.
  SEND_RATE_PER_MINUTE: field.integer('60', { min: 0 }),
  SEND_BURST: field.integer('10', { min: 1 }),
  SEND_MAX_ATTEMPTS: field.integer('3', { min: 1 }),
  SEND_RETRY_DELAY_MS: field.integer('2000', { min: 1 }),
  SEND_CONCURRENCY: field.integer('64', { min: 1 }),
  QUEUE_WHEN_NOT_READY: field.boolean('false'),
  IDEMPOTENCY_WINDOW: field.duration('24h'),
  BULK_MAX_MESSAGES: field.integer('5000', { min: 1 }),
  // --- orchestrator ---
  ORCHESTRATOR: field.enum(['none', 'docker', 'kubernetes'], 'none'),
  DOCKER_HOST: field.optionalString(),
  COMPOSE_PROJECT_NAME: field.pattern(NAME, "must contain only letters, digits, '-' and '_'", 'plugboard'),
  KUBERNETES_API_URL: field.string('https://kubernetes.default.svc'),
  KUBERNETES_NAMESPACE: field.optionalString(),
  // --- tracing ---
  OTEL_EXPORTER_OTLP_ENDPOINT: field.httpUrl(),
});

type ParsedVariables = z.output<typeof ConfigObjectSchema>;

/** Variables that only a selected plug needs: reported as missing only when that plug is chosen. */
function checkPlugRequirements(env: ParsedVariables, ctx: z.RefinementCtx): void {
  const missing = (variable: keyof ParsedVariables, when: string) =>
    ctx.addIssue({ code: 'custom', path: [variable], message: `required when ${when}` });

  if (env.BUS_TYPE === 'nats' && env.NATS_URL === undefined) missing('NATS_URL', 'BUS_TYPE=nats');

  if (env.DATABASE_TYPE === 'postgres') {
    if (env.DATABASE_HOST === undefined && env.POSTGRES_BUILTIN !== true) {
      missing('DATABASE_HOST', 'DATABASE_TYPE=postgres (or set POSTGRES_BUILTIN=true)');
    }
    if (env.DATABASE_SYNCHRONIZE === true) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_SYNCHRONIZE'],
        // Schema sync on a shared PostgreSQL races between instances and can drop columns.
        message: 'must not be true with DATABASE_TYPE=postgres: PostgreSQL changes its schema only through migrations',
      });
    }
  }

  if (env.STORAGE_TYPE === 's3') {
    if (env.S3_ENDPOINT === undefined && env.MINIO_BUILTIN !== true) {
      missing('S3_ENDPOINT', 'STORAGE_TYPE=s3 (or set MINIO_BUILTIN=true)');
    }
    if (env.S3_BUCKET === undefined) missing('S3_BUCKET', 'STORAGE_TYPE=s3');
    if (env.S3_ACCESS_KEY_ID === undefined) missing('S3_ACCESS_KEY_ID', 'STORAGE_TYPE=s3');
    if (env.S3_SECRET_ACCESS_KEY === undefined) missing('S3_SECRET_ACCESS_KEY', 'STORAGE_TYPE=s3');
  }
}

/** Defaults that depend on other variables: data paths follow DATA_DIR, `*_BUILTIN` fill in addresses. */
function applyDerivedDefaults(env: ParsedVariables) {
  const dataDir = env.DATA_DIR.replace(/\/+$/, '');
  return {
    ...env,
    REDIS_HOST: env.REDIS_HOST ?? (env.REDIS_BUILTIN ? BUILTIN_HOSTS.redis : '127.0.0.1'),
    DATABASE_SYNCHRONIZE: env.DATABASE_SYNCHRONIZE ?? env.DATABASE_TYPE === 'sqlite',
    SQLITE_PATH: env.SQLITE_PATH ?? `${dataDir}/plugboard.sqlite`,
    DATABASE_HOST: env.DATABASE_HOST ?? (env.POSTGRES_BUILTIN ? BUILTIN_HOSTS.postgres : undefined),
    STORAGE_LOCAL_PATH: env.STORAGE_LOCAL_PATH ?? `${dataDir}/media`,
    SESSION_DATA_PATH: env.SESSION_DATA_PATH ?? `${dataDir}/sessions`,
    S3_ENDPOINT: env.S3_ENDPOINT ?? (env.MINIO_BUILTIN ? BUILTIN_HOSTS.minioEndpoint : undefined),
    MEDIA_SERVICE_URL: env.MEDIA_SERVICE_URL ?? 'http://127.0.0.1:3002',
    INFRA_ADMIN_URL: env.INFRA_ADMIN_URL ?? 'http://127.0.0.1:3003',
  };
}

/**
 * The one schema of Plugboard's configuration: raw env strings in, typed values out.
 * `when: () => true` runs the per-plug checks even when a field failed, so every problem is
 * reported at once; the checks compare with `===` because a failed field holds no parsed value.
 */
export const ConfigSchema = ConfigObjectSchema.superRefine(checkPlugRequirements, { when: () => true }).transform(
  applyDerivedDefaults,
);

/** Validated configuration: every variable by name, parsed and with defaults applied. */
export type AppConfig = z.output<typeof ConfigSchema>;

/** Every variable name the schema knows, in schema order (grouped by socket). */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze(Object.keys(ConfigObjectSchema.shape));
