/** Runs `count` calls of `one` with `concurrency` in flight at any time. */
export async function inFlight(count: number, concurrency: number, one: () => Promise<void>): Promise<void> {
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Wall time of `work` in milliseconds. */
export async function timed(work: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}
