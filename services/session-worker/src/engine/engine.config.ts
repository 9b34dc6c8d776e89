import type { AppConfig } from '@plugboard/config';

type EngineVariables =
  | 'SIMULATOR_QR_ROTATE_MS'
  | 'SIMULATOR_AUTO_PAIR_MS'
  | 'SIMULATOR_ACK_DELAY_MS'
  | 'PUPPETEER_EXECUTABLE_PATH'
  | 'PUPPETEER_ARGS'
  | 'SESSION_DATA_PATH';

/** The config keys the engine socket reads; the validated `AppConfig` fits as it is. The selector is a plain string so a bad value reaches the factory's error. */
export type EngineConfig = Pick<AppConfig, EngineVariables> & { ENGINE_TYPE: string };
