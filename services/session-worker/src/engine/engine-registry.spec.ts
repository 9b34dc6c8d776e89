import { ErrorCode } from '@plugboard/contracts';
import type { SimulatorRepository } from '@plugboard/database';
import type { EngineConfig } from './engine.config';
import { EngineError } from './engine.errors';
import { EngineRegistry } from './engine-registry';
import { SimulatorEngineAdapter } from './simulator-engine.adapter';
import { WhatsappWebJsEngineAdapter } from './whatsapp-web-js-engine.adapter';

function setup(overrides: Partial<EngineConfig> = {}) {
  const config: EngineConfig = {
    ENGINE_TYPE: 'simulator',
    SIMULATOR_QR_ROTATE_MS: 20_000,
    SIMULATOR_AUTO_PAIR_MS: 0,
    SIMULATOR_ACK_DELAY_MS: 200,
    PUPPETEER_EXECUTABLE_PATH: '/nonexistent/chromium',
    PUPPETEER_ARGS: '--no-sandbox  --headless=new',
    SESSION_DATA_PATH: './data/sessions',
    ...overrides,
  };
  const mocks = { simulator: {} as SimulatorRepository, logger: { log: vi.fn(), warn: vi.fn(), error: vi.fn() } };
  return { sut: () => new EngineRegistry(config, mocks), mocks };
}

describe('EngineRegistry', () => {
  it('gives the ENGINE_TYPE plug by default and a session-chosen plug by name, one instance each', () => {
    const registry = setup().sut();
    expect(registry.defaultName).toBe('simulator');
    expect(registry.get()).toBeInstanceOf(SimulatorEngineAdapter);
    expect(registry.get('whatsapp-web.js')).toBeInstanceOf(WhatsappWebJsEngineAdapter);
    expect(registry.get('simulator')).toBe(registry.get());
    expect(registry.simulator()).toBe(registry.get());
  });

  it('refuses an unknown engine name with VALIDATION_FAILED listing the engines', () => {
    const registry = setup().sut();
    const error = (() => {
      try {
        registry.get('baileys');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({
      code: ErrorCode.ValidationFailed,
      message: 'Unsupported engine "baileys": expected whatsapp-web.js or simulator',
      details: { accepted: ['whatsapp-web.js', 'simulator'] },
    });
    expect(() => setup({ ENGINE_TYPE: 'baileys' }).sut()).toThrow(EngineError);
  });

  it('reports the default plug in health: the simulator is up, whatsapp-web.js is down without Chromium', async () => {
    expect(await setup().sut().health()).toMatchObject({ plug: 'simulator', status: 'up', detail: 'simulator — not WhatsApp' });
    expect(await setup({ ENGINE_TYPE: 'whatsapp-web.js' }).sut().health()).toEqual({
      socket: 'engine',
      plug: 'whatsapp-web.js',
      status: 'down',
      detail: 'Chromium not found at /nonexistent/chromium: install chromium or set PUPPETEER_EXECUTABLE_PATH',
    });
  });
});
