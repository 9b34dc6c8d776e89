import { BUILTIN_HOSTS, CONFIG_VARIABLES } from './config.schema';
import { type ConfigProblem, isSecretVariable } from './config.errors';
import { renderEnvFile } from './env-file-writer';
import { CONFIG_SECTION_NAMES, type ConfigSection, sectionOf } from './config-sections';

/** A partial change as PUT /api/infra/config takes it: section → variable → raw value. */
export type ConfigChange = Record<string, Record<string, string>>;

export interface MergedEnv {
  /** The new contents of `.env.generated`; undefined when the change was refused. */
  values?: Record<string, string>;
  /** Every reason the change was refused; empty when it was accepted. */
  problems: ConfigProblem[];
  /** Variables whose value in the file differs after the merge (set, changed or removed). */
  changed: string[];
  /** Variables of the change that the process environment or `.env` overrides. */
  envPinned: string[];
}

const POSTGRES_ONLY = [
  'DATABASE_HOST',
  'DATABASE_PORT',
  'DATABASE_USERNAME',
  'DATABASE_PASSWORD',
  'DATABASE_NAME',
  'DATABASE_POOL_SIZE',
  'DATABASE_SSL',
  'DATABASE_STATEMENT_TIMEOUT_MS',
  'POSTGRES_SCHEMA',
  'POSTGRES_BUILTIN',
];
// DATABASE_SYNCHRONIZE=true is refused with PostgreSQL, so a leftover from SQLite would block the switch.
const SQLITE_ONLY = ['SQLITE_PATH', 'DATABASE_SYNCHRONIZE'];
const S3_ONLY = [...CONFIG_VARIABLES.filter((v) => v.startsWith('S3_')), 'MINIO_BUILTIN'];
const REDIS_ONLY = CONFIG_VARIABLES.filter((v) => v.startsWith('REDIS_') && v !== 'REDIS_ENABLED');

/** `*_BUILTIN` switch → the address variable it fills in with the bundled container's address. */
const BUILTIN_ADDRESSES: Record<string, { variable: string; value: string }> = {
  POSTGRES_BUILTIN: { variable: 'DATABASE_HOST', value: BUILTIN_HOSTS.postgres },
  REDIS_BUILTIN: { variable: 'REDIS_HOST', value: BUILTIN_HOSTS.redis },
  MINIO_BUILTIN: { variable: 'S3_ENDPOINT', value: BUILTIN_HOSTS.minioEndpoint },
};

/**
 * Merges a change into the current `.env.generated` values. Checked first, every problem at once:
 * unknown sections, unknown variables or ones given under the wrong section, DATA_DIR (it locates
 * this very file) and values with CR or LF. Then, in order:
 * - a secret given as `""` stays as it is (forms send secrets back blank); any other `""` removes the
 *   variable, so its default applies again;
 * - a mode switch drops the variables only the old plug read (postgres→sqlite drops DATABASE_HOST…,
 *   s3→local drops S3_*, no more Redis user drops REDIS_*, BUS_TYPE=memory drops NATS_URL);
 * - `*_BUILTIN=true` fills in the bundled container's address unless the change gives one.
 * Whether the result is a valid configuration is the caller's check (loadConfig with `generated`).
 * @param pinnedValues values of the process environment and `.env`, which win over the file.
 */
export function mergeGeneratedEnv(current: Record<string, string>, change: ConfigChange, pinnedValues: Record<string, string> = {}): MergedEnv {
  const problems = checkChange(change);
  if (problems.length > 0) return { problems, changed: [], envPinned: [] };

  const given = new Map(Object.values(change).flatMap((variables) => Object.entries(variables)));
  const next: Record<string, string> = { ...current };
  for (const [variable, value] of given) {
    if (value !== '') next[variable] = value;
    else if (!isSecretVariable(variable)) delete next[variable];
  }

  const effective = (variable: string) => pinnedValues[variable] ?? next[variable];
  const drop = (variables: readonly string[]) => {
    for (const variable of variables) if (!given.has(variable)) delete next[variable];
  };
  if (given.get('DATABASE_TYPE') === 'sqlite') drop(POSTGRES_ONLY);
  if (given.get('DATABASE_TYPE') === 'postgres') drop(SQLITE_ONLY);
  if (given.get('STORAGE_TYPE') === 'local') drop(S3_ONLY);
  if (given.get('BUS_TYPE') === 'memory') drop(['NATS_URL']);
  const redisTurnedOff = given.get('REDIS_ENABLED') === 'false' || given.get('QUEUE_TYPE') === 'memory';
  // The queue (bullmq) and the cache share the REDIS_* connection: drop it only when neither uses Redis.
  if (redisTurnedOff && effective('REDIS_ENABLED') !== 'true' && effective('QUEUE_TYPE') !== 'bullmq') drop(REDIS_ONLY);

  for (const [builtin, address] of Object.entries(BUILTIN_ADDRESSES)) {
    if (given.has(address.variable)) continue;
    if (given.get(builtin) === 'true') next[address.variable] = address.value;
    // Turning the bundled service off takes its address with it, unless someone set another one.
    if (given.get(builtin) === 'false' && next[address.variable] === address.value) delete next[address.variable];
  }

  try {
    renderEnvFile(next);
  } catch (error) {
    const variable = String((error as Error).message).split(':')[0];
    return { problems: [{ variable, message: 'cannot be stored in .env.generated so that it reads back unchanged' }], changed: [], envPinned: [] };
  }

  const keys = new Set([...Object.keys(current), ...Object.keys(next)]);
  const changed = [...keys].filter((key) => current[key] !== next[key]).sort();
  const envPinned = [...given.keys()].filter((variable) => pinnedValues[variable] !== undefined).sort();
  return { values: next, problems: [], changed, envPinned };
}

function checkChange(change: ConfigChange): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [section, variables] of Object.entries(change)) {
    if (!(CONFIG_SECTION_NAMES as string[]).includes(section)) {
      problems.push({ variable: section, message: 'unknown section', accepted: [...CONFIG_SECTION_NAMES] });
      continue;
    }
    for (const [variable, value] of Object.entries(variables)) {
      const home = sectionOf(variable);
      if (home === undefined) problems.push({ variable, message: `unknown variable in section ${section}` });
      else if (home !== (section as ConfigSection)) problems.push({ variable, message: `belongs to section ${home}, not ${section}` });
      else if (variable === 'DATA_DIR') {
        problems.push({ variable, message: 'locates .env.generated itself: set it in the environment or .env' });
      }
      if (/[\r\n]/.test(value)) {
        problems.push({ variable, ...(isSecretVariable(variable) ? {} : { value }), message: 'must not contain a line break (CR or LF)' });
      }
    }
  }
  return problems;
}
