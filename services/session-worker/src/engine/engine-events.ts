import type { EngineEvent } from './engine.port';

/**
 * The listeners of one engine session. A throwing listener is reported to `onListenerError`
 * and never stops the others or the engine.
 */
export class EngineEvents {
  private readonly listeners = new Set<(event: EngineEvent) => void>();

  constructor(private readonly onListenerError: (error: unknown, event: EngineEvent) => void) {}

  /** Adds a listener; returns its removal. */
  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: EngineEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
