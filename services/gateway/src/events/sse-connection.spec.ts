import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { SseConnection } from './sse-connection';

/** A response whose client reads only when told to. */
class SlowResponse extends Writable {
  readonly written: string[] = [];
  status?: number;
  private pending: (() => void)[] = [];

  constructor() {
    super({ highWaterMark: 256, decodeStrings: false });
  }

  writeHead(status: number): this {
    this.status = status;
    return this;
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.written.push(String(chunk));
    this.pending.push(done);
  }

  /** The client reads what was sent so far. */
  read(): void {
    for (const done of this.pending.splice(0)) done();
  }

  /** The client reads until nothing more comes (Writable hands over one chunk at a time). */
  async readAll(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      this.read();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  text(): string {
    return this.written.join('');
  }
}

function setup(options: Partial<{ maxBufferedBytes: number; drainTimeoutMs: number }> = {}) {
  const response = new SlowResponse();
  const sut = new SseConnection(response as unknown as ServerResponse, {
    maxBufferedBytes: options.maxBufferedBytes ?? 1_000,
    keepAliveMs: 60_000,
    drainTimeoutMs: options.drainTimeoutMs ?? 60_000,
  });
  return { sut, mocks: { response } };
}

describe('SseConnection', () => {
  it('holds events until open, then writes id, event and data frames', async () => {
    const { sut, mocks } = setup();
    await sut.send('message.sent', { a: 1 }, 5);
    expect(mocks.response.written).toEqual([]);
    sut.open();
    await sut.send('infra.job', { id: 'j' });
    await mocks.response.readAll();
    expect(mocks.response.status).toBe(200);
    expect(mocks.response.text()).toBe(': connected\n\nid: 5\nevent: message.sent\ndata: {"a":1}\n\nevent: infra.job\ndata: {"id":"j"}\n\n');
    sut.close();
  });

  it('waits while the socket is full and goes on once the client reads', async () => {
    const { sut, mocks } = setup();
    sut.open();
    await mocks.response.readAll();
    let sent = false;
    const big = 'x'.repeat(300);
    const sending = sut.send('message.sent', { big }, 1).then(() => (sent = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toBe(false);
    await mocks.response.readAll();
    await sending;
    expect(sut.closed).toBe(false);
    sut.close();
  });

  it('ends a client that stays behind with a final overflow event', async () => {
    const { sut, mocks } = setup({ maxBufferedBytes: 1_000 });
    const closed = vi.fn();
    sut.onClose(closed);
    sut.open();
    for (let i = 0; i < 20 && !sut.closed; i++) void sut.send('message.sent', { pad: 'x'.repeat(100) }, i);
    expect(sut.closed).toBe(true);
    expect(closed).toHaveBeenCalledOnce();
    await mocks.response.readAll();
    expect(mocks.response.text()).toMatch(/event: overflow\ndata: .*\n\n$/);
  });

  it('overflows a client that does not drain in time', async () => {
    vi.useFakeTimers();
    try {
      const { sut, mocks } = setup({ drainTimeoutMs: 5_000 });
      sut.open();
      const sending = sut.send('message.sent', { big: 'x'.repeat(300) }, 1);
      await vi.advanceTimersByTimeAsync(5_001);
      await sending;
      expect(sut.closed).toBe(true);
      vi.useRealTimers();
      await mocks.response.readAll();
      expect(mocks.response.text()).toContain('event: overflow');
    } finally {
      vi.useRealTimers();
    }
  });
});
