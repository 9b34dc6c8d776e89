/** What the cache plugs log through; Nest's `Logger` and `console` both fit. */
export interface CacheLogger {
  log(message: string): void;
  warn(message: string): void;
}
