import { Injectable } from '@nestjs/common';
import {
  CONFIG_SECTIONS,
  type ConfigChange,
  ConfigError,
  type ConfigProblem,
  type ConfigSection,
  SECTION_READERS,
  formatConfigProblems,
  isSecretVariable,
  loadConfig,
  mergeGeneratedEnv,
  readConfigSources,
  sectionOf,
  writeEnvFileAtomic,
} from '@plugboard/config';
import { ErrorCode, type InfraConfigView, type InfraConfigWritten, SERVICE_NAMES, type ServiceName } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';

export interface ConfigAdminOptions {
  /** Highest-precedence source; defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Where `.env` is read and relative paths start; defaults to `process.cwd()`. */
  cwd?: string;
}

type DisplayValue = InfraConfigView['sections'][string][string];

/**
 * Reads and changes the saved configuration (`<DATA_DIR>/.env.generated`) exactly as the next
 * start loads it: same sources, same precedence, same schema. A change is validated as a whole
 * and written atomically, or refused with every problem and nothing written.
 */
@Injectable()
export class ConfigAdminService {
  /** Changes are applied one after the other: two merges must not read the same old file. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ConfigAdminOptions = {}) {}

  /** Effective settings per section; secrets shown only as `<NAME>Set`. */
  view(): InfraConfigView {
    const sources = this.sources();
    const config = this.validate(undefined) as unknown as Record<string, unknown>;
    const sections: InfraConfigView['sections'] = {};
    for (const [section, variables] of Object.entries(CONFIG_SECTIONS)) {
      const shown: Record<string, DisplayValue> = {};
      for (const variable of variables) {
        const value = config[variable];
        if (isSecretVariable(variable)) shown[`${variable}Set`] = value !== undefined && value !== '';
        else shown[variable] = display(value);
      }
      sections[section] = shown;
    }
    return { sections, envPinned: sources.pinned, file: sources.generatedFile };
  }

  /** Merges `change` into `.env.generated`; VALIDATION_FAILED with `details.problems` writes nothing. */
  put(change: Record<string, Record<string, string | number | boolean>>): Promise<InfraConfigWritten> {
    const run = this.queue.then(() => this.apply(change));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async apply(raw: Record<string, Record<string, string | number | boolean>>): Promise<InfraConfigWritten> {
    const change: ConfigChange = Object.fromEntries(
      Object.entries(raw).map(([section, variables]) => [section, Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)]))]),
    );
    const sources = this.sources();
    const merged = mergeGeneratedEnv(sources.generated, change, sources.pinnedValues);
    if (merged.values === undefined) throw refused(merged.problems);
    this.validate(merged.values);
    await writeEnvFileAtomic(sources.generatedFile, merged.values);
    return {
      written: true,
      file: sources.generatedFile,
      changed: merged.changed,
      restartRequired: readersOf(merged.changed),
      envPinned: merged.envPinned,
    };
  }

  private sources() {
    try {
      return readConfigSources(this.options);
    } catch (error) {
      if (error instanceof ConfigError) throw refused(error.problems);
      throw error;
    }
  }

  /** The configuration the next start would load, with `generated` in place of the file when given. */
  private validate(generated: Record<string, string> | undefined) {
    try {
      return loadConfig({ ...this.options, generated });
    } catch (error) {
      if (error instanceof ConfigError) throw refused(error.problems);
      throw error;
    }
  }
}

function refused(problems: ConfigProblem[]): ServiceError {
  return new ServiceError(ErrorCode.ValidationFailed, formatConfigProblems(problems), { problems });
}

/** Services that read at least one of `variables`, in the usual service order. */
function readersOf(variables: readonly string[]): ServiceName[] {
  const readers = new Set<ServiceName>();
  for (const variable of variables) {
    const section = sectionOf(variable) as ConfigSection | undefined;
    if (section) for (const service of SECTION_READERS[section]) readers.add(service);
  }
  return SERVICE_NAMES.filter((service) => readers.has(service));
}

/** JSON-safe, and never a password inside a URL (`nats://user:pass@host`). */
function display(value: unknown): DisplayValue {
  const hide = (text: string) => text.replace(/\/\/[^@/\s]+@/g, '//***@');
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return hide(value);
  if (Array.isArray(value)) return value.map((item) => hide(String(item)));
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  return String(value);
}
