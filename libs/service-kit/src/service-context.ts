import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { AppConfig } from '@plugboard/config';
import type { ServiceName } from '@plugboard/contracts';

/**
 * Who this running service is. Provided to Nest under its own class, so any provider can
 * inject it to name itself in health, logs and queue groups.
 */
export class ServiceContext {
  constructor(
    readonly service: ServiceName,
    readonly instanceId: string,
    readonly version: string,
    readonly startedAt: Date,
    readonly config: AppConfig,
  ) {}

  /** A context for a service starting now; `INSTANCE_ID` wins over a generated id. */
  static create(service: ServiceName, config: AppConfig): ServiceContext {
    // Embedded mode runs four services in one process: the service name keeps their ids apart.
    const instanceId = config.INSTANCE_ID ?? `${service}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    return new ServiceContext(service, instanceId, packageVersion(), new Date(), config);
  }

  /** Whole seconds since this service started. */
  uptimeSeconds(now: Date = new Date()): number {
    return Math.max(0, Math.floor((now.getTime() - this.startedAt.getTime()) / 1000));
  }
}

let cachedVersion: string | undefined;

/**
 * The version of the root package.json, found by walking up from this file: the same code
 * runs from the sources (tests) and from `dist/` (build), at different depths.
 */
function packageVersion(): string {
  if (cachedVersion) return cachedVersion;
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { version?: string };
      cachedVersion = pkg.version ?? '0.0.0';
      return cachedVersion;
    }
    const parent = dirname(dir);
    if (parent === dir) return (cachedVersion = '0.0.0');
    dir = parent;
  }
}
