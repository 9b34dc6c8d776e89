import { createBus } from './bus.factory';
import { MemoryBusAdapter } from './memory-bus.adapter';
import { NatsBusAdapter } from './nats-bus.adapter';

const base = { BUS_REQUEST_TIMEOUT_MS: 1000, EVENTS_STREAM: 'WA_EVENTS', EVENTS_RETENTION: '7d' };

describe('createBus', () => {
  it('builds the memory plug', () => {
    expect(createBus({ ...base, BUS_TYPE: 'memory' }, 'gateway')).toBeInstanceOf(MemoryBusAdapter);
  });

  it('builds the nats plug from one URL, a list, and parsed or raw retention', () => {
    expect(createBus({ ...base, BUS_TYPE: 'nats', NATS_URL: 'nats://127.0.0.1:4222,nats://127.0.0.1:4223' }, 'gateway')).toBeInstanceOf(NatsBusAdapter);
    expect(createBus({ ...base, BUS_TYPE: 'nats', NATS_URL: ['nats://127.0.0.1:4222'], EVENTS_RETENTION: 60_000 }, 'gateway').plug).toBe('nats');
  });

  it('refuses nats without NATS_URL and a bad retention', () => {
    expect(() => createBus({ ...base, BUS_TYPE: 'nats' }, 'gateway')).toThrow('NATS_URL is required when BUS_TYPE=nats');
    expect(() => createBus({ ...base, BUS_TYPE: 'nats', NATS_URL: 'nats://127.0.0.1:4222', EVENTS_RETENTION: 'forever' }, 'gateway')).toThrow(/invalid duration/);
  });

  it('throws on an unknown BUS_TYPE instead of falling back', () => {
    expect(() => createBus({ ...base, BUS_TYPE: 'kafka' }, 'gateway')).toThrow('Unsupported BUS_TYPE "kafka": expected memory or nats');
  });
});
