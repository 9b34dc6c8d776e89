import { canTransition } from './message-status';

describe('canTransition', () => {
  it('moves acks forward only', () => {
    expect(canTransition({ status: 'sending' }, 'sent')).toBe(true);
    expect(canTransition({ status: 'sent' }, 'read')).toBe(true);
    expect(canTransition({ status: 'read' }, 'delivered')).toBe(false);
    expect(canTransition({ status: 'delivered' }, 'sent')).toBe(false);
    expect(canTransition({ status: 'pending' }, 'sent')).toBe(false);
  });

  it('needs a generation for sending, and a newer one to take a stuck send over', () => {
    expect(canTransition({ status: 'pending' }, 'sending')).toBe(false);
    expect(canTransition({ status: 'pending' }, 'sending', 1)).toBe(true);
    expect(canTransition({ status: 'sending', leaseGeneration: 2 }, 'sending', 2)).toBe(false);
    expect(canTransition({ status: 'sending', leaseGeneration: 2 }, 'sending', 3)).toBe(true);
  });

  it('fails only unfinished messages and never revives a failed one', () => {
    expect(canTransition({ status: 'pending' }, 'failed')).toBe(true);
    expect(canTransition({ status: 'sending' }, 'failed')).toBe(true);
    expect(canTransition({ status: 'sent' }, 'failed')).toBe(false);
    expect(canTransition({ status: 'failed' }, 'sending', 9)).toBe(false);
    expect(canTransition({ status: 'sending' }, 'pending')).toBe(false);
  });

  it('puts a send back to pending only for the generation that took it (a retry after an engine error)', () => {
    expect(canTransition({ status: 'sending', leaseGeneration: 4 }, 'pending', 4)).toBe(true);
    expect(canTransition({ status: 'sending', leaseGeneration: 4 }, 'pending', 3)).toBe(false);
    expect(canTransition({ status: 'sending', leaseGeneration: 4 }, 'pending', 5)).toBe(false);
    expect(canTransition({ status: 'sending', leaseGeneration: 4 }, 'pending')).toBe(false);
    expect(canTransition({ status: 'sending', leaseGeneration: null }, 'pending', 4)).toBe(false);
    expect(canTransition({ status: 'pending', leaseGeneration: 4 }, 'pending', 4)).toBe(false);
    expect(canTransition({ status: 'sent', leaseGeneration: 4 }, 'pending', 4)).toBe(false);
    expect(canTransition({ status: 'failed', leaseGeneration: 4 }, 'pending', 4)).toBe(false);
  });
});
