import { hostname } from 'node:os';
import { EVENTS_STREAM } from '@plugboard/contracts';
import { BusLogger } from './bus-logger';
import { BusPort } from './bus.port';
import { parseDurationMs } from './duration';
import { MemoryBusAdapter } from './memory-bus.adapter';
import { NatsBusAdapter } from './nats-bus.adapter';

/** The config keys the bus needs; the validated app config fits this shape as it is. */
export interface BusConfig {
  BUS_TYPE: string;
  /** One URL, a comma-separated list, or the list already split. */
  NATS_URL?: string | readonly string[];
  BUS_REQUEST_TIMEOUT_MS: number;
  /** Default `WA_EVENTS`. */
  EVENTS_STREAM?: string;
  /** `30m`/`24h`/`7d`, or milliseconds when already parsed. */
  EVENTS_RETENTION: string | number;
  EVENTS_MAX_BYTES?: number;
  /** Isolates buses sharing one NATS server (tests); leave unset in production. */
  BUS_SUBJECT_PREFIX?: string;
}

/** Picks the bus plug from `BUS_TYPE`; anything but `memory` or `nats` is an error, never a fallback. */
export function createBus(config: BusConfig, serviceName: string, logger?: BusLogger): BusPort {
  switch (config.BUS_TYPE) {
    case 'memory':
      return new MemoryBusAdapter({ requestTimeoutMs: config.BUS_REQUEST_TIMEOUT_MS, logger });
    case 'nats':
      return new NatsBusAdapter({
        servers: natsServers(config.NATS_URL),
        name: `${serviceName}@${hostname()}:${process.pid}`,
        requestTimeoutMs: config.BUS_REQUEST_TIMEOUT_MS,
        eventsStream: config.EVENTS_STREAM ?? EVENTS_STREAM,
        eventsMaxAgeMs: typeof config.EVENTS_RETENTION === 'number' ? config.EVENTS_RETENTION : parseDurationMs(config.EVENTS_RETENTION),
        eventsMaxBytes: config.EVENTS_MAX_BYTES,
        subjectPrefix: config.BUS_SUBJECT_PREFIX,
        logger,
      });
    default:
      throw new Error(`Unsupported BUS_TYPE "${config.BUS_TYPE}": expected memory or nats`);
  }
}

function natsServers(url: BusConfig['NATS_URL']): string[] {
  const servers = (typeof url === 'string' ? url.split(',') : [...(url ?? [])]).map((s) => s.trim()).filter(Boolean);
  if (servers.length === 0) throw new Error('NATS_URL is required when BUS_TYPE=nats');
  return servers;
}
