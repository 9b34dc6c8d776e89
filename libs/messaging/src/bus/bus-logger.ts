/** What the bus plugs log through; Nest's `Logger` and `console` both fit. */
export interface BusLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Used when no logger is given: warnings and errors still reach stderr. */
export const consoleBusLogger: BusLogger = {
  log: () => undefined,
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
};

/** Message of anything thrown, for log lines. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
