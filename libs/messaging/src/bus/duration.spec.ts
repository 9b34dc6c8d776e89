import { parseDurationMs } from './duration';

describe('parseDurationMs', () => {
  it.each([
    ['45s', 45_000],
    ['30m', 1_800_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
  ])('parses %s', (raw, ms) => expect(parseDurationMs(raw)).toBe(ms));

  it.each(['', '7', 'd', '0d', '1w', '-1h', '1.5h'])('rejects %j', (raw) => {
    expect(() => parseDurationMs(raw)).toThrow(/invalid duration/);
  });
});
