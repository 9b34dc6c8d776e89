import { ConsoleLogger, LogLevel } from '@nestjs/common';

const LEVELS: Record<string, LogLevel[]> = {
  fatal: ['fatal'],
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  trace: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/**
 * The logger of one service, injectable by this class. Nest's static `Logger` is one per
 * process, so in embedded mode it would name the wrong service: inject this one instead and
 * pass the component as the context argument.
 */
export class ServiceLogger extends ConsoleLogger {}

/** Plain Nest log lines prefixed with the service name, so embedded mode's four services stay apart. */
export function createServiceLogger(name: string, level: string = 'info'): ServiceLogger {
  return new ServiceLogger({ prefix: name, logLevels: LEVELS[level] ?? LEVELS.info });
}
