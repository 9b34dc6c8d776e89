import { reconnectDelay } from './reconnect-backoff';
import { canStart, isActiveStatus, statusForEngineEvent } from './session-status';

describe('session lifecycle state machine', () => {
  it('maps engine events to statuses: qr → qr_ready → authenticating → ready, drops and failures', () => {
    expect(statusForEngineEvent({ type: 'qr', qr: 'x', expiresAt: new Date() })).toEqual({ status: 'qr_ready' });
    expect(statusForEngineEvent({ type: 'authenticated' })).toEqual({ status: 'authenticating' });
    expect(statusForEngineEvent({ type: 'ready', phone: '1' })).toEqual({ status: 'ready' });
    expect(statusForEngineEvent({ type: 'disconnected', reason: 'net' })).toEqual({ status: 'disconnected', reason: 'net' });
    expect(statusForEngineEvent({ type: 'failed', reason: 'no browser' })).toEqual({ status: 'failed', reason: 'no browser' });
    expect(statusForEngineEvent({ type: 'state', state: 'OPENING' })).toBeNull();
    expect(statusForEngineEvent({ type: 'message_ack', waMessageId: 'm', ack: 'read' })).toBeNull();
  });

  it('allows a start only when the session should not run, or is stopped or failed', () => {
    expect(canStart('stopped', 'created')).toBe(true);
    expect(canStart('running', 'failed')).toBe(true);
    expect(canStart('running', 'stopped')).toBe(true);
    expect(canStart('running', 'ready')).toBe(false);
    expect(canStart('running', 'qr_ready')).toBe(false);
    expect(isActiveStatus('disconnected')).toBe(true);
    expect(isActiveStatus('stopped')).toBe(false);
  });
});

describe('reconnectDelay', () => {
  it('doubles from 1 s with jitter in [half, full] and never exceeds the cap', () => {
    expect(reconnectDelay(0, 300_000, () => 0)).toBe(500);
    expect(reconnectDelay(0, 300_000, () => 1)).toBe(1_000);
    expect(reconnectDelay(3, 300_000, () => 1)).toBe(8_000);
    expect(reconnectDelay(3, 300_000, () => 0)).toBe(4_000);
    expect(reconnectDelay(40, 300_000, () => 1)).toBe(300_000);
    expect(reconnectDelay(40, 300_000, () => 0)).toBe(150_000);
    for (let attempt = 0; attempt < 50; attempt++) expect(reconnectDelay(attempt, 5_000)).toBeLessThanOrEqual(5_000);
  });
});
