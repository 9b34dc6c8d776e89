import { Transform } from 'node:stream';
import { formatBytes, formatDuration } from './byte-format';

/** Where progress goes: stderr, so stdout stays clean for the result. */
export interface ProgressSink {
  write(text: string): unknown;
  /** A terminal gets one line redrawn in place; a pipe or a log file gets plain lines. */
  isTTY?: boolean;
}

const BAR_WIDTH = 24;
/** A terminal line is redrawn at most this often. */
const TTY_INTERVAL_MS = 100;
/** A log gets a plain line at most this often. */
const PLAIN_INTERVAL_MS = 2_000;

/**
 * Bytes done, rate and (when the total is known) percentage and ETA of one transfer.
 * `now` is injectable so the output can be checked without waiting.
 */
export class Progress {
  private done = 0;
  private readonly startedAt: number;
  private lastDrawAt = Number.NEGATIVE_INFINITY;
  private drewInPlace = false;

  constructor(
    private readonly label: string,
    private readonly total: number | undefined,
    private readonly sink: ProgressSink,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  get bytes(): number {
    return this.done;
  }

  /** Counts `bytes` more and redraws when it is time to. */
  add(bytes: number): void {
    this.done += bytes;
    const at = this.now();
    if (at - this.lastDrawAt < (this.sink.isTTY ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS)) return;
    this.lastDrawAt = at;
    this.draw(at);
  }

  /** The last line, with the final count; ends the in-place line on a terminal. */
  finish(): void {
    this.draw(this.now(), true);
  }

  /** Ends an in-place line without a summary (the transfer failed; the error follows on its own line). */
  abort(): void {
    if (this.drewInPlace) this.sink.write('\n');
    this.drewInPlace = false;
  }

  /** A pass-through stream that counts what flows through it. */
  meter(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.add(chunk.length);
        callback(null, chunk);
      },
    });
  }

  /** The text of the progress line at time `at`. */
  line(at: number, final = false): string {
    const elapsed = Math.max(0.001, (at - this.startedAt) / 1000);
    const rate = this.done / elapsed;
    const parts = [this.label];
    if (this.total !== undefined && this.total > 0) {
      const ratio = Math.min(1, this.done / this.total);
      const filled = Math.round(ratio * BAR_WIDTH);
      parts.push(`[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`, `${Math.floor(ratio * 100)}%`);
      parts.push(`${formatBytes(this.done)} / ${formatBytes(this.total)}`);
    } else {
      parts.push(formatBytes(this.done));
    }
    parts.push(`${formatBytes(Math.round(rate))}/s`);
    if (final) parts.push(`in ${formatDuration(elapsed)}`);
    else if (this.total !== undefined && rate > 0 && this.done < this.total) parts.push(`ETA ${formatDuration((this.total - this.done) / rate)}`);
    return parts.join('  ');
  }

  private draw(at: number, final = false): void {
    const text = this.line(at, final);
    if (this.sink.isTTY) {
      // \x1b[K clears what a longer previous line left behind.
      this.sink.write(`\r${text}\x1b[K${final ? '\n' : ''}`);
      this.drewInPlace = !final;
    } else {
      this.sink.write(`${text}\n`);
    }
  }
}
