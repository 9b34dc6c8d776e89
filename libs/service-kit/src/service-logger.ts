import { hostname } from 'node:os';
import type { LogLevel, LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import { logCorrelation } from './logging/log-correlation';
import { REDACTED, redactFields, registerSecretValues, scrubSecrets } from './logging/secret-redaction';

type PinoLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

const PINO_LEVELS: readonly PinoLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const NEST_TO_PINO: Record<LogLevel, PinoLevel> = { verbose: 'trace', debug: 'debug', log: 'info', warn: 'warn', error: 'error', fatal: 'fatal' };
/** A stack trace as Nest passes it to `error(message, stack)`. */
const STACK_LIKE = /\n\s+at /;

export interface ServiceLoggerOptions {
  /** Names this process (or service of the process) in every line; bound later by `bindInstance` when omitted. */
  instance?: string;
  /** The running configuration: its secret values are removed from every line (see secret-redaction). */
  config?: Readonly<Record<string, unknown>>;
  /** Where lines go; stdout (synchronous, so a line logged right before `process.exit` is not lost) by default. */
  destination?: DestinationStream;
}

/**
 * The logger of one service, injectable by this class: one JSON object per line on stdout
 * (`time`, `level`, `service`, `instance`, `msg`, and when known `requestId`, `sessionId`,
 * `traceId`, `spanId`), secrets removed. It is also Nest's `LoggerService`, so Nest's own
 * lines come out the same way. Nest's static `Logger` is one per process, so in embedded mode
 * it would name the wrong service: inject this one and pass the component as the context.
 */
export class ServiceLogger implements LoggerService {
  private current: Logger;
  private instanceBound: boolean;

  constructor(
    private readonly root: Logger,
    instance?: string,
  ) {
    this.instanceBound = instance !== undefined;
    this.current = root.child({ instance: instance ?? processInstanceId() });
  }

  /**
   * Names the service instance once it is known (the service context is made after the
   * logger); until then lines name the host and process. An instance given at creation stays.
   */
  bindInstance(instance: string): void {
    if (this.instanceBound) return;
    this.instanceBound = true;
    this.current = this.root.child({ instance });
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** Nest passes the levels it wants; the lowest one becomes the threshold. */
  setLogLevels(levels: LogLevel[]): void {
    const wanted = levels.map((level) => NEST_TO_PINO[level]).filter(Boolean);
    const lowest = PINO_LEVELS.find((level) => wanted.includes(level));
    this.root.level = lowest ?? 'silent';
  }

  /** True when a line of this level would be written (skip building costly messages otherwise). */
  isLevelEnabled(level: PinoLevel): boolean {
    return this.current.isLevelEnabled(level);
  }

  /**
   * Nest's calling convention: `(message, context)`, `(message, stack, context)` for errors,
   * objects and errors as the message; further arguments are kept under `details`.
   */
  private write(level: PinoLevel, message: unknown, params: unknown[]): void {
    if (!this.current.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    const rest = [...params];
    if (rest.length > 0 && typeof rest[rest.length - 1] === 'string') {
      const last = rest[rest.length - 1] as string;
      if (level === 'error' && rest.length === 1 && STACK_LIKE.test(last)) fields.stack = rest.pop();
      else fields.context = rest.pop();
    }
    if (level === 'error' && typeof rest[0] === 'string' && STACK_LIKE.test(rest[0])) fields.stack = rest.shift();
    if (rest.length > 0) fields.details = rest.filter((value) => value !== undefined);
    let text: string;
    if (message instanceof Error) {
      text = message.message;
      fields.error = message;
    } else if (typeof message === 'object' && message !== null) {
      const { msg, message: inner, ...others } = message as Record<string, unknown>;
      Object.assign(fields, others);
      text = typeof msg === 'string' ? msg : typeof inner === 'string' ? inner : '';
    } else {
      text = String(message);
    }
    this.current[level](fields, text);
  }
}

/**
 * The logger of service `name` at `level` (`LOG_LEVEL`). Secret values of `options.config`
 * and of the process environment are registered for removal from every line.
 */
export function createServiceLogger(name: string, level: string = 'info', options: ServiceLoggerOptions = {}): ServiceLogger {
  registerSecretValues(process.env);
  if (options.config) registerSecretValues(options.config);
  const root = pino(
    {
      level: PINO_LEVELS.includes(level as PinoLevel) ? level : 'info',
      base: { service: name },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      formatters: {
        level: (label) => ({ level: label }),
        // Field names first (headers, config objects), then actual values in the whole line.
        log: (object) => redactFields(object) as Record<string, unknown>,
      },
      mixin: logCorrelation,
      hooks: { streamWrite: scrubSecrets },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
  return new ServiceLogger(root, options.instance);
}

/** The instance named in lines written before a service's own id is known. */
function processInstanceId(): string {
  return `${hostname()}-${process.pid}`;
}

export { REDACTED };
