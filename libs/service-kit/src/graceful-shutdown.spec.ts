import type { LoggerService } from '@nestjs/common';
import { installGracefulShutdown } from './graceful-shutdown';

// A signal nobody else in the test process listens to.
const SIGNAL: NodeJS.Signals = 'SIGUSR2';

function setup(drain: () => Promise<void>, timeoutMs = 1_000) {
  const logger: LoggerService = { log: vi.fn(), warn: vi.fn(), error: vi.fn() };
  const beginShutdown = vi.fn();
  const exited = new Promise<number>((resolve) => {
    const uninstall = installGracefulShutdown({ logger, timeoutMs, beginShutdown, drain, signals: [SIGNAL], exit: (code) => {
      uninstall();
      resolve(code);
    } });
  });
  return { sut: { signal: () => process.emit(SIGNAL, SIGNAL) }, mocks: { logger, beginShutdown }, exited };
}

describe('installGracefulShutdown', () => {
  it('turns readiness off at once, drains, then exits 0', async () => {
    let drained = false;
    const { sut, mocks, exited } = setup(async () => {
      expect(mocks.beginShutdown).toHaveBeenCalledTimes(1);
      drained = true;
    });
    sut.signal();
    expect(mocks.beginShutdown).toHaveBeenCalledTimes(1);
    await expect(exited).resolves.toBe(0);
    expect(drained).toBe(true);
  });

  it('forces exit 1 past the budget and says so', async () => {
    const { sut, mocks, exited } = setup(() => new Promise<void>(() => undefined), 50);
    sut.signal();
    await expect(exited).resolves.toBe(1);
    expect(mocks.logger.error).toHaveBeenCalledWith(expect.stringContaining('exceeded 50 ms'));
  });

  it('exits 1 when the drain fails', async () => {
    const { sut, exited } = setup(() => Promise.reject(new Error('stuck')));
    sut.signal();
    await expect(exited).resolves.toBe(1);
  });

  it('drains once on a repeated signal', async () => {
    const drain = vi.fn(() => new Promise<void>((r) => setTimeout(r, 20)));
    const { sut, exited } = setup(drain);
    sut.signal();
    sut.signal();
    await expect(exited).resolves.toBe(0);
    expect(drain).toHaveBeenCalledTimes(1);
  });
});
