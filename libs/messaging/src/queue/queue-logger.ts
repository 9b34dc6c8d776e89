/** What the queue plugs log through; Nest's `Logger` and `console` both fit. */
export interface QueueLogger {
  warn(message: string): void;
  error(message: string): void;
}
