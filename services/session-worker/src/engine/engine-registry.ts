import type { SocketHealth } from '@plugboard/contracts';
import type { EngineConfig } from './engine.config';
import { type EngineDependencies, createEngine, parseEngineName } from './engine.factory';
import type { EngineName, EnginePort } from './engine.port';
import { SimulatorEngineAdapter } from './simulator-engine.adapter';

/**
 * The engine plugs of one worker, by name. ENGINE_TYPE is the default; a session may choose
 * another in its `engine` column. Plugs are made on first use, one instance per name.
 */
export class EngineRegistry {
  readonly defaultName: EngineName;
  private readonly engines = new Map<EngineName, EnginePort>();

  /** Throws (VALIDATION_FAILED) when ENGINE_TYPE names no engine, so a bad config stops the boot. */
  constructor(
    private readonly config: EngineConfig,
    private readonly deps: EngineDependencies,
  ) {
    this.defaultName = parseEngineName(config.ENGINE_TYPE);
  }

  /** The plug called `name`, or the default one; unknown names throw an EngineError (VALIDATION_FAILED). */
  get(name?: string | null): EnginePort {
    const engineName = name ? parseEngineName(name) : this.defaultName;
    let engine = this.engines.get(engineName);
    if (!engine) {
      engine = createEngine(engineName, this.config, this.deps);
      this.engines.set(engineName, engine);
    }
    return engine;
  }

  /** The simulator plug, for its admin controls (pair, inbound, faults). */
  simulator(): SimulatorEngineAdapter {
    return this.get('simulator') as SimulatorEngineAdapter;
  }

  /** The default plug's health: what this worker offers sessions that choose no engine. */
  health(): Promise<SocketHealth> {
    return this.get().health();
  }

  /** Closes every plug made so far (browsers, timers). */
  async close(): Promise<void> {
    const engines = [...this.engines.values()];
    this.engines.clear();
    await Promise.all(engines.map((engine) => engine.close()));
  }
}
