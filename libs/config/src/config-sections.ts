import { SERVICE_NAMES, type ServiceName } from '@plugboard/contracts';
import { CONFIG_VARIABLES } from './config.schema';

/**
 * The first variable of each `// --- section ---` block of config.schema.ts, in schema order.
 * A section runs until the next one starts, so a variable added to the schema lands in its
 * section by position alone; a unit test compares this table with the schema's comments.
 */
const SECTION_STARTS = {
  general: 'NODE_ENV',
  bus: 'BUS_TYPE',
  queue: 'QUEUE_TYPE',
  cache: 'REDIS_ENABLED',
  database: 'DATABASE_TYPE',
  files: 'STORAGE_TYPE',
  webhooks: 'WEBHOOK_TIMEOUT_MS',
  engine: 'ENGINE_TYPE',
  sending: 'SEND_RATE_PER_MINUTE',
  orchestrator: 'ORCHESTRATOR',
  tracing: 'OTEL_EXPORTER_OTLP_ENDPOINT',
} as const;

export type ConfigSection = keyof typeof SECTION_STARTS;

/** Section names, in schema order. */
export const CONFIG_SECTION_NAMES = Object.keys(SECTION_STARTS) as ConfigSection[];

/** Section → its variables, in schema order. */
export const CONFIG_SECTIONS: Readonly<Record<ConfigSection, readonly string[]>> = buildSections();

/** The section a variable belongs to; undefined for a name the schema does not know. */
export function sectionOf(variable: string): ConfigSection | undefined {
  return SECTION_OF.get(variable);
}

const ALL_SERVICES: readonly ServiceName[] = SERVICE_NAMES;

/** Which services read a section's variables, so a change tells who needs a restart. */
export const SECTION_READERS: Readonly<Record<ConfigSection, readonly ServiceName[]>> = {
  general: ALL_SERVICES,
  bus: ALL_SERVICES,
  queue: ALL_SERVICES,
  cache: ['gateway'],
  database: ALL_SERVICES,
  // MEDIA_SERVICE_URL and INTERNAL_TOKEN are how the gateway and the workers reach the media-service.
  files: ['gateway', 'session-worker', 'media-service'],
  webhooks: ['gateway', 'session-worker', 'media-service'],
  engine: ['session-worker'],
  sending: ['gateway', 'session-worker'],
  orchestrator: ['infra-admin'],
  tracing: ALL_SERVICES,
};

const SECTION_OF = new Map<string, ConfigSection>(
  Object.entries(CONFIG_SECTIONS).flatMap(([section, variables]) => variables.map((v) => [v, section as ConfigSection] as const)),
);

function buildSections(): Record<ConfigSection, readonly string[]> {
  const starts = CONFIG_SECTION_NAMES.map((section) => {
    const index = CONFIG_VARIABLES.indexOf(SECTION_STARTS[section]);
    if (index < 0) throw new Error(`config section ${section} starts at unknown variable ${SECTION_STARTS[section]}`);
    return index;
  });
  return Object.fromEntries(
    CONFIG_SECTION_NAMES.map((section, i) => [section, Object.freeze(CONFIG_VARIABLES.slice(starts[i], starts[i + 1] ?? CONFIG_VARIABLES.length))]),
  ) as Record<ConfigSection, readonly string[]>;
}
