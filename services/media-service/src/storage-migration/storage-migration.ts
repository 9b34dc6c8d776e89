import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import { ErrorCode, type StorageMigrationStatus } from '@plugboard/contracts';
import { type MediaEntity, MediaRepository } from '@plugboard/database';
import { ServiceError, ServiceLogger } from '@plugboard/service-kit';
import { type StoragePort, createStorage, errorMessage } from '@plugboard/storage';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { SwitchableStorage } from '../media/switchable-storage';
import { mergeEnvFile } from './env-file';

type Plug = 'local' | 's3';

/** Objects copied at once: enough to overlap S3 round trips, few enough to keep memory flat. */
const PARALLEL = 4;

function idle(): StorageMigrationStatus {
  return { state: 'idle', from: null, to: null, copied: 0, verified: 0, skipped: 0, total: 0, bytes: 0, startedAt: null, finishedAt: null, errors: [] };
}

/**
 * Moves every media object from the plug in use to the other one (target built from config:
 * S3_* or STORAGE_LOCAL_PATH), verifying each against its row's sha256, and only when all
 * verified switches the service to the target at once and persists STORAGE_TYPE in
 * `<DATA_DIR>/.env.generated`. Progress is derived from the target, so a run cut short (the
 * process killed, the target down) resumes: objects already there with the right size and
 * sha256 are skipped. One migration at a time per instance.
 */
@Injectable()
export class StorageMigration implements OnApplicationShutdown {
  private status: StorageMigrationStatus = idle();
  private running?: Promise<void>;

  constructor(
    private readonly storage: SwitchableStorage,
    private readonly media: MediaRepository,
    private readonly logger: ServiceLogger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Progress of the current or last migration. */
  progress(): StorageMigrationStatus {
    return { ...this.status, errors: [...this.status.errors] };
  }

  /** Starts a migration to `to` and answers at once; CONFLICT while one runs or when `to` is already in use. */
  async start(to: Plug): Promise<StorageMigrationStatus> {
    if (this.running) throw new ServiceError(ErrorCode.Conflict, 'a storage migration is already running', this.progress());
    const from = plugOf(this.storage.plug);
    if (from === to) throw new ServiceError(ErrorCode.Conflict, `storage already uses ${to}`);
    let target: StoragePort;
    try {
      // The copy target never falls back: objects must land on the plug being migrated to.
      target = createStorage({ ...this.config, STORAGE_TYPE: to, STORAGE_FALLBACK: 'none' });
    } catch (error) {
      throw new ServiceError(ErrorCode.ValidationFailed, `cannot build the ${to} storage: ${errorMessage(error)}`);
    }
    await target.open();
    const health = await target.health();
    if (health.status === 'down') {
      await target.close();
      throw new ServiceError(ErrorCode.StorageUnavailable, `the ${to} storage is unreachable: ${health.detail ?? 'down'}`);
    }
    this.status = { ...idle(), state: 'running', from, to, startedAt: new Date().toISOString() };
    this.running = this.migrate(to, target).finally(() => (this.running = undefined));
    return this.progress();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async migrate(to: Plug, target: StoragePort): Promise<void> {
    const source = this.storage.active;
    const done = new Set<string>();
    try {
      // Passes until one finds nothing new: uploads made meanwhile land on the source.
      while ((await this.copyPass(source, target, done)) > 0 && this.status.errors.length === 0);
      if (this.status.errors.length > 0) {
        await target.close();
        this.finish('failed');
        return;
      }
      const live = await this.livePlug(to, target);
      const previous = this.storage.use(live);
      await mergeEnvFile(resolve(process.cwd(), this.config.DATA_DIR, '.env.generated'), { STORAGE_TYPE: to });
      if (process.env.STORAGE_TYPE && process.env.STORAGE_TYPE !== to) {
        this.logger.warn(`STORAGE_TYPE=${process.env.STORAGE_TYPE} in the environment overrides .env.generated on restart: change it to ${to}`);
      }
      // Uploads that reached the source between the last pass and the switch.
      await this.copyPass(source, target, done);
      if (live !== target) await target.close();
      await previous.close();
      this.finish(this.status.errors.length ? 'failed' : 'switched');
      this.logger.log(`storage migrated to ${to}: ${this.status.copied} copied, ${this.status.skipped} already there, ${this.status.bytes} bytes`);
    } catch (error) {
      this.status.errors.push({ key: '', message: errorMessage(error) });
      this.finish('failed');
      await target.close().catch(() => undefined);
    }
  }

  /** The plug to serve from after the switch: the target, or the target with the configured local fallback. */
  private async livePlug(to: Plug, target: StoragePort): Promise<StoragePort> {
    if (to !== 's3' || this.config.STORAGE_FALLBACK === 'none') return target;
    const live = createStorage({ ...this.config, STORAGE_TYPE: to });
    await live.open();
    return live;
  }

  /** Copies the rows not in `done`; resolves with how many it looked at. */
  private async copyPass(source: StoragePort, target: StoragePort, done: Set<string>): Promise<number> {
    this.status.total = Math.max(this.status.total, await this.media.count());
    let seen = 0;
    let batch: MediaEntity[] = [];
    const flush = async () => {
      await Promise.all(batch.map((row) => this.copyOne(source, target, row)));
      for (const row of batch) done.add(row.id);
      batch = [];
    };
    for await (const row of this.media.iterate()) {
      if (done.has(row.id)) continue;
      seen++;
      batch.push(row);
      if (batch.length === PARALLEL) await flush();
    }
    await flush();
    this.status.total = Math.max(this.status.total, done.size);
    return seen;
  }

  private async copyOne(source: StoragePort, target: StoragePort, row: MediaEntity): Promise<void> {
    const size = Number(row.size);
    try {
      const there = await target.stat(row.key);
      if (there?.size === size && (await sha256Of(target, row.key)) === row.sha256) {
        this.status.skipped++;
        this.status.verified++;
        return;
      }
      const got = await source.get(row.key);
      // The put hashes the bytes as they stream into the target.
      const put = await target.put(row.key, got.stream, { size, contentType: row.mimeType });
      this.status.copied++;
      this.status.bytes += put.size;
      if (put.sha256 !== row.sha256) {
        await target.delete(row.key).catch(() => undefined);
        throw new Error(`sha256 on the target is ${put.sha256}, the row says ${row.sha256}`);
      }
      this.status.verified++;
    } catch (error) {
      this.status.errors.push({ key: row.key, message: errorMessage(error) });
    }
  }

  private finish(state: 'switched' | 'failed'): void {
    this.status.state = state;
    this.status.finishedAt = new Date().toISOString();
  }
}

/** `local`, or `s3` for the S3 plug with or without its local fallback. */
function plugOf(plug: string): Plug {
  return plug.startsWith('s3') ? 's3' : 'local';
}

async function sha256Of(storage: StoragePort, key: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of (await storage.get(key)).stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
