import { ErrorCode } from '@plugboard/contracts';
import type { MikroORM } from '@mikro-orm/core';
import type { DatabaseConfig } from './database.config';
import { DatabaseError } from './database.errors';
import { prepareDatabase } from './prepare-database';

export type DatabaseConnectionStatus = 'connecting' | 'ready' | 'failed' | 'stopped';

export interface DatabaseConnectionState {
  status: DatabaseConnectionStatus;
  /** Why the last attempt failed (while connecting) or why the database was refused (failed). */
  reason?: string;
  attempts: number;
}

export interface DatabaseConnectorOptions {
  migrate?: boolean;
  initialDelayMs?: number;
  maxDelayMs?: number;
  logger?: { log(message: string): void; warn(message: string): void; error(message: string): void };
}

/**
 * Connects the ORM and prepares the schema, retrying with exponential backoff.
 *
 * Why in the background: a service whose database is down at boot should still start, answer
 * its health endpoints with `database: down` and the reason, and come up by itself when the
 * database does, instead of crash-looping. Only a refusal (a database written by a newer
 * release) stops the retries, since waiting cannot fix it; at boot it fails the start.
 */
export class DatabaseConnector {
  private current: DatabaseConnectionState = { status: 'connecting', attempts: 0 };
  private connected = false;
  private timer: NodeJS.Timeout | undefined;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };
  private readonly ready: Promise<void>;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly orm: MikroORM,
    private readonly config: DatabaseConfig,
    private readonly options: DatabaseConnectorOptions = {},
  ) {
    this.initialDelayMs = options.initialDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.ready = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    // Callers that never await whenReady() must not see an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  /**
   * Makes the first attempt. Resolves when it succeeded or failed in a way worth retrying
   * (retries then go on in the background); rejects only on a refusal.
   */
  async start(): Promise<void> {
    const outcome = await this.attempt();
    if (outcome === 'fatal') throw this.failure;
  }

  /** Resolves once the database is connected and its schema is current; rejects on a refusal. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** The connection state, for health. */
  state(): DatabaseConnectionState {
    return { ...this.current };
  }

  /** Stops retrying and closes the ORM's connections. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.current = { ...this.current, status: 'stopped' };
    await this.orm.close(true);
  }

  private failure: unknown;

  // A method, not an inline check: stop() may run while an attempt is awaiting.
  private stopped(): boolean {
    return this.current.status === 'stopped';
  }

  private async attempt(): Promise<'ready' | 'retry' | 'fatal' | 'stopped'> {
    if (this.stopped()) return 'stopped';
    const attempts = this.current.attempts + 1;
    try {
      if (!this.connected) {
        await this.orm.connect();
        this.connected = true;
      }
      const check = await this.orm.checkConnection();
      if (!check.ok) throw DatabaseError.unavailable(check.reason ?? 'connection check failed', check.error);
      await prepareDatabase(this.orm, this.config, { migrate: this.options.migrate ?? false });
    } catch (error) {
      if (this.stopped()) return 'stopped';
      const reason = error instanceof Error ? error.message : String(error);
      if (isRefusal(error)) {
        this.failure = error;
        this.current = { status: 'failed', reason, attempts };
        this.options.logger?.error(`database refused: ${reason}`);
        this.settle.reject(error);
        return 'fatal';
      }
      const delay = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** (attempts - 1));
      this.current = { status: 'connecting', reason, attempts };
      this.options.logger?.warn(`database not ready (attempt ${attempts}): ${reason}; retrying in ${delay} ms`);
      this.timer = setTimeout(() => void this.attempt(), delay);
      this.timer.unref();
      return 'retry';
    }
    this.current = { status: 'ready', attempts };
    this.options.logger?.log(`database ready (${this.config.DATABASE_TYPE}, attempt ${attempts})`);
    this.settle.resolve();
    return 'ready';
  }
}

/** A schema refusal: retrying cannot help, an operator must act. */
function isRefusal(error: unknown): boolean {
  return error instanceof DatabaseError && error.code === ErrorCode.Internal;
}
