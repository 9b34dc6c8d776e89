import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import type { z } from 'zod';
import { type AppConfig, CONFIG_VARIABLES, ConfigSchema } from './config.schema';
import { ConfigError, type ConfigProblem, formatConfigProblems, isSecretVariable } from './config.errors';

export interface LoadConfigOptions {
  /** Replaces `process.env` as the highest-precedence source. */
  env?: Record<string, string | undefined>;
  /** Where `.env` is looked for and relative paths start; defaults to `process.cwd()`. */
  cwd?: string;
  /** Used instead of the contents of `<DATA_DIR>/.env.generated`: validates a change before it is written. */
  generated?: Record<string, string | undefined>;
}

type RawEnv = Record<string, string | undefined>;

interface Source {
  /** Shown in problems; undefined for the process environment. */
  label?: string;
  values: RawEnv;
}

/**
 * Reads, merges and validates the configuration. Precedence: process env (or `options.env`) >
 * `<cwd>/.env` > `<DATA_DIR>/.env.generated`, where DATA_DIR comes from the two higher sources.
 * An empty value counts as unset and falls through to the next source.
 * @throws ConfigError listing every problem found.
 */
export function loadConfig(options: LoadConfigOptions = {}): AppConfig {
  const problems: ConfigProblem[] = [];
  const { envSource, dotenvSource, generatedSource } = readSources(options, problems);
  const sources = [envSource, dotenvSource, generatedSource];
  const raw: RawEnv = {};
  const origin: Record<string, string | undefined> = {};
  for (const variable of CONFIG_VARIABLES) {
    const found = pick(variable, sources);
    raw[variable] = found?.value;
    origin[variable] = found?.label;
  }

  const result = ConfigSchema.safeParse(raw);
  if (result.success && problems.length === 0) return result.data;
  if (!result.success) problems.push(...result.error.issues.map((issue) => toProblem(issue, raw, origin)));
  throw new ConfigError(problems);
}

/** For a service's `main.ts`: on bad config, print every problem (no stack trace) and exit 1. */
export function loadConfigOrExit(options?: LoadConfigOptions): AppConfig {
  try {
    return loadConfig(options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${formatConfigProblems(error.problems)}\n`);
    return process.exit(1);
  }
}

/** Where the configuration comes from, as infra-admin shows and changes it. */
export interface ConfigSources {
  /** Absolute path of `<DATA_DIR>/.env.generated`. */
  generatedFile: string;
  /** Its variables as they are now (empty when the file does not exist). */
  generated: Record<string, string>;
  /** Variables of the schema set (non-blank) by the process environment or `.env`: a saved change cannot override them. */
  pinned: string[];
  /** Their raw values (secrets included: for merging, never for display). */
  pinnedValues: Record<string, string>;
}

/**
 * Reads the sources loadConfig would read, without validating.
 * @throws ConfigError when `.env` or `.env.generated` exists but cannot be read.
 */
export function readConfigSources(options: LoadConfigOptions = {}): ConfigSources {
  const problems: ConfigProblem[] = [];
  const { envSource, dotenvSource, generatedSource, generatedFile } = readSources({ ...options, generated: undefined }, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const generated: Record<string, string> = {};
  for (const [key, value] of Object.entries(generatedSource.values)) if (value !== undefined) generated[key] = value;
  const pinnedValues: Record<string, string> = {};
  for (const variable of CONFIG_VARIABLES) {
    const found = pick(variable, [envSource, dotenvSource]);
    if (found !== undefined) pinnedValues[variable] = found.value;
  }
  return { generatedFile, generated, pinned: Object.keys(pinnedValues), pinnedValues };
}

function readSources(options: LoadConfigOptions, problems: ConfigProblem[]) {
  const cwd = options.cwd ?? process.cwd();
  const envSource: Source = { values: options.env ?? process.env };
  const dotenvSource = readEnvFile(join(cwd, '.env'), cwd, problems);
  const dataDir = pick('DATA_DIR', [envSource, dotenvSource])?.value ?? './data';
  const generatedFile = resolve(cwd, dataDir, '.env.generated');
  const generatedSource: Source =
    options.generated === undefined
      ? readEnvFile(generatedFile, cwd, problems)
      : { label: relative(cwd, generatedFile) || generatedFile, values: options.generated };
  return { envSource, dotenvSource, generatedSource, generatedFile };
}

function pick(variable: string, sources: Source[]): { value: string; label?: string } | undefined {
  for (const source of sources) {
    const value = source.values[variable];
    if (value !== undefined && value.trim() !== '') return { value, label: source.label };
  }
  return undefined;
}

/** A missing file is simply no source; any other read failure is a problem to report. */
function readEnvFile(path: string, cwd: string, problems: ConfigProblem[]): Source {
  const label = relative(cwd, path) || path;
  try {
    return { label, values: parseDotenv(readFileSync(path)) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') problems.push({ variable: label, message: `cannot be read (${code ?? String(error)})` });
    return { label, values: {} };
  }
}

function toProblem(issue: z.core.$ZodIssue, raw: RawEnv, origin: Record<string, string | undefined>): ConfigProblem {
  const variable = String(issue.path[0] ?? '(config)');
  const value = raw[variable];
  const problem: ConfigProblem = { variable, message: issue.message };
  if (value !== undefined && !isSecretVariable(variable)) problem.value = hideUrlCredentials(value.trim());
  if (issue.code === 'invalid_value') problem.accepted = issue.values.map(String);
  if (issue.code === 'custom' && Array.isArray(issue.params?.accepted)) problem.accepted = issue.params.accepted;
  if (origin[variable] !== undefined) problem.source = origin[variable];
  return problem;
}

/** `nats://user:pass@host:4222` must not leak its password into logs. */
function hideUrlCredentials(value: string): string {
  return value.replace(/\/\/[^@/\s]+@/g, '//***@');
}
