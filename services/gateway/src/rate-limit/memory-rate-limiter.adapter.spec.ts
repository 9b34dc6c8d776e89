import { MemoryRateLimiterAdapter } from './memory-rate-limiter.adapter';

function setup(start = 120_000) {
  const clock = { now: start };
  return { sut: new MemoryRateLimiterAdapter(() => clock.now), mocks: { clock } };
}

describe('MemoryRateLimiterAdapter', () => {
  it('counts per bucket within a clock-aligned window and starts again in the next one', async () => {
    const { sut, mocks } = setup(120_000 + 15_000);
    expect(await sut.hit('a', 60_000)).toEqual({ count: 1, resetInMs: 45_000 });
    expect(await sut.hit('a', 60_000)).toEqual({ count: 2, resetInMs: 45_000 });
    expect((await sut.hit('b', 60_000)).count).toBe(1);
    mocks.clock.now = 180_000;
    expect(await sut.hit('a', 60_000)).toEqual({ count: 1, resetInMs: 60_000 });
  });
});
