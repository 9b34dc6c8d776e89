/** Where the engine plugs log; Nest's loggers fit. */
export interface EngineLogger {
  log(message: string, context?: string): void;
  warn(message: string, context?: string): void;
  error(message: string, context?: string): void;
}
