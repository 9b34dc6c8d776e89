import type { EngineName, EnginePort } from '../engine/engine.port';

/** How the sessions feature gets an engine plug by name; bound to the engine registry in the module. */
export abstract class SessionEngines {
  /** The plug for `name`; throws for an engine this worker cannot run. */
  abstract get(name: EngineName): EnginePort;
}
