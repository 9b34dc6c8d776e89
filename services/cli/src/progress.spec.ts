import { formatBytes, formatDuration } from './byte-format';
import { Progress } from './progress';

function setup(options: { total?: number; isTTY: boolean }) {
  let now = 0;
  const written: string[] = [];
  const sut = new Progress('export', options.total, { isTTY: options.isTTY, write: (text: string) => written.push(text) }, () => now);
  return { sut, written, advance: (ms: number) => (now += ms) };
}

describe('byte and duration formats', () => {
  it('uses binary units with one decimal', () => {
    expect([formatBytes(0), formatBytes(1023), formatBytes(1536), formatBytes(5 * 1024 ** 3)]).toEqual(['0 B', '1023 B', '1.5 KiB', '5.0 GiB']);
  });

  it('shows seconds, minutes and hours', () => {
    expect([formatDuration(42.4), formatDuration(185), formatDuration(3720)]).toEqual(['42s', '3m05s', '1h02m']);
  });
});

describe('Progress', () => {
  it('shows percentage, rate and ETA when the total is known', () => {
    const { sut, advance } = setup({ total: 4 * 1024 * 1024, isTTY: false });
    advance(1000);
    sut.add(1024 * 1024);
    expect(sut.line(1000)).toBe('export  [######..................]  25%  1.0 MiB / 4.0 MiB  1.0 MiB/s  ETA 3s');
  });

  it('shows bytes and rate only when the total is unknown', () => {
    const { sut } = setup({ isTTY: false });
    sut.add(2048);
    expect(sut.line(2000)).toBe('export  2.0 KiB  1.0 KiB/s');
  });

  it('redraws one line in place on a terminal, at most every 100 ms, and ends it when finished', () => {
    const { sut, written, advance } = setup({ total: 1000, isTTY: true });
    sut.add(100);
    sut.add(100);
    advance(150);
    sut.add(100);
    sut.finish();
    expect(written).toHaveLength(3);
    expect(written.slice(0, 2).every((text) => text.startsWith('\r') && !text.endsWith('\n'))).toBe(true);
    expect(written[2].startsWith('\r')).toBe(true);
    expect(written[2]).toContain('300 B / 1000 B');
    expect(written[2].endsWith('in 0s\x1b[K\n')).toBe(true);
  });

  it('writes plain lines, at most every 2 s, when stderr is not a terminal', () => {
    const { sut, written, advance } = setup({ total: 1000, isTTY: false });
    sut.add(100);
    advance(500);
    sut.add(100);
    advance(2000);
    sut.add(100);
    sut.finish();
    expect(written).toHaveLength(3);
    expect(written.every((text) => !text.includes('\r') && text.endsWith('\n'))).toBe(true);
  });

  it('ends an in-place line when the transfer fails, so the error starts on its own line', () => {
    const { sut, written } = setup({ isTTY: true });
    sut.add(10);
    sut.abort();
    expect(written.at(-1)).toBe('\n');
  });
});
