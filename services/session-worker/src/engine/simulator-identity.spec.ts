import { simulatorMessageId, simulatorPhone, simulatorQr } from './simulator-identity';

describe('simulator identity', () => {
  it('gives each session a stable 1555000xxxx phone', () => {
    expect(simulatorPhone('session-a')).toMatch(/^1555000\d{4}$/);
    expect(simulatorPhone('session-a')).toBe(simulatorPhone('session-a'));
  });

  it('makes recognisable, unique QR codes and message ids', () => {
    expect(simulatorQr('s1', 3)).toMatch(/^SIMULATOR-QR:s1:3:[0-9a-f]{12}$/);
    expect(simulatorQr('s1', 3)).not.toBe(simulatorQr('s1', 3));
    expect(simulatorMessageId()).toMatch(/^SIM\.[0-9A-F]{20}$/);
  });
});
