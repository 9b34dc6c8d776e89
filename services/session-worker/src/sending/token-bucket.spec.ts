import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  async function takenWithin(bucket: TokenBucket, count: number, ms: number): Promise<number> {
    let taken = 0;
    for (let i = 0; i < count; i++) void bucket.take().then((ok) => ok && taken++);
    await vi.advanceTimersByTimeAsync(ms);
    return taken;
  }

  it('gives the burst at once, then one token per 60/rate seconds', async () => {
    const bucket = new TokenBucket(60, 3);
    expect(await takenWithin(bucket, 10, 0)).toBe(3);
    await vi.advanceTimersByTimeAsync(999);
    // Still waiting for the 4th token: it comes at 1 s.
    const more = await takenWithin(bucket, 0, 1);
    expect(more).toBe(0);
  });

  it('paces takers in arrival order', async () => {
    const bucket = new TokenBucket(120, 1);
    const order: number[] = [];
    for (let i = 0; i < 4; i++) void bucket.take().then(() => order.push(i));
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual([0]);
    await vi.advanceTimersByTimeAsync(500);
    expect(order).toEqual([0, 1]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('refills up to the burst while idle, never beyond', async () => {
    const bucket = new TokenBucket(60, 2);
    expect(await takenWithin(bucket, 2, 0)).toBe(2);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await takenWithin(bucket, 5, 0)).toBe(2);
  });

  it('is off at rate 0', async () => {
    const bucket = new TokenBucket(0, 1);
    expect(await takenWithin(bucket, 1_000, 0)).toBe(1_000);
  });

  it('wakes waiting takers with false when closed', async () => {
    const bucket = new TokenBucket(1, 1);
    await bucket.take();
    const waiting = bucket.take();
    bucket.close();
    await expect(waiting).resolves.toBe(false);
    await expect(bucket.take()).resolves.toBe(false);
  });
});
