import { setFlagsFromString } from 'node:v8';

/**
 * Lets V8's old generation grow `percent` past its live size before the next full GC
 * (HEAP_GROWTH_PERCENT; 0 keeps V8's own rule).
 *
 * V8's own rule sizes that headroom from how fast the process allocated lately. After a quiet
 * spell that is the 8 MB minimum, less than the young generation's target size, so the first
 * burst of work (an upload, a restore) starts marking at once, and every mark-compact sets the
 * same tight limit again. Measured on a 64 MiB restore into an embedded process that had been
 * idle for 5 s: eight mark-compacts of the whole ~57 MB heap, each with 130–170 ms of
 * background marking that competes with the transfer for the CPU, and 90–130 MiB/s where the
 * same restore without the idle spell ran at 280–360 MiB/s. With 100 % the restore stays at
 * 260–350 MiB/s after idling; the cost is at most that much more heap between collections.
 */
export function applyHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
