import type { SimulatorRepository } from '@plugboard/database';
import { chromiumArgs, chromiumPath } from './chromium-executable';
import type { EngineConfig } from './engine.config';
import { EngineError } from './engine.errors';
import type { EngineLogger } from './engine-logger';
import { ENGINE_NAMES, type EngineName, type EnginePort } from './engine.port';
import { SimulatorEngineAdapter } from './simulator-engine.adapter';
import { WhatsappWebJsEngineAdapter } from './whatsapp-web-js-engine.adapter';

export interface EngineDependencies {
  /** Where the simulator keeps its phone side. */
  simulator: SimulatorRepository;
  logger: EngineLogger;
}

/** `name` as an engine name; anything else is a VALIDATION_FAILED EngineError listing the engines. */
export function parseEngineName(name: string): EngineName {
  if ((ENGINE_NAMES as readonly string[]).includes(name)) return name as EngineName;
  throw EngineError.unknownEngine(name);
}

/** Makes the plug called `name` (ENGINE_TYPE or a session's `engine`); never a silent default. */
export function createEngine(name: string, config: EngineConfig, deps: EngineDependencies): EnginePort {
  switch (parseEngineName(name)) {
    case 'simulator':
      return new SimulatorEngineAdapter(
        deps.simulator,
        {
          qrRotateMs: config.SIMULATOR_QR_ROTATE_MS,
          autoPairMs: config.SIMULATOR_AUTO_PAIR_MS,
          ackDelayMs: config.SIMULATOR_ACK_DELAY_MS,
        },
        deps.logger,
      );
    case 'whatsapp-web.js':
      return new WhatsappWebJsEngineAdapter(
        {
          executablePath: chromiumPath(config.PUPPETEER_EXECUTABLE_PATH),
          args: chromiumArgs(config.PUPPETEER_ARGS),
          dataPath: config.SESSION_DATA_PATH,
        },
        deps.logger,
      );
  }
}
