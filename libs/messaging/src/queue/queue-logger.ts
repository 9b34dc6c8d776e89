/** What the queue plugs log through; Nest's `Logger` and `console` both fit. */
export interface QueueLogger {
  /** One line per finished try, when the logger has a debug level. */
  debug?(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Used when no logger is given: warnings and errors reach stderr, per-job debug lines nowhere. */
export const consoleQueueLogger: QueueLogger = {
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
};
