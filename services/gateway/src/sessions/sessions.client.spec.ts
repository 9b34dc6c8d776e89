import type { SessionView } from '@plugboard/contracts';
import { MemoryBusAdapter } from '@plugboard/messaging';
import { sessionView as view } from './__tests__/session-view';
import { SessionsClient } from './sessions.client';

async function setup(row: SessionView) {
  const bus = new MemoryBusAdapter({ requestTimeoutMs: 1_000 });
  await bus.connect();
  await bus.handle('sessions.get', () => row);
  return { sut: new SessionsClient(bus), mocks: { bus } };
}

describe('SessionsClient.command', () => {
  it('reaches the owner on wa.session.<id>.<command>', async () => {
    const { sut, mocks } = await setup(view({}));
    await mocks.bus.handle('wa.session.qr', () => ({ qr: 'abc', expiresAt: new Date(0).toISOString() }), { subject: 'wa.session.s1.qr' });
    await expect(sut.command('s1', 'wa.session.qr', {})).resolves.toMatchObject({ qr: 'abc' });
    await mocks.bus.close();
  });

  it('answers 409 with the status when nobody owns a stopped session', async () => {
    const { sut, mocks } = await setup(view({ status: 'stopped', desiredState: 'stopped' }));
    await expect(sut.command('s1', 'wa.session.logout', {})).rejects.toMatchObject({ code: 'CONFLICT', details: { status: 'stopped' } });
    await mocks.bus.close();
  });

  it('answers 503 with a retry hint when a running session has no owner yet (takeover under way)', async () => {
    const { sut, mocks } = await setup(view({ status: 'ready', desiredState: 'running' }));
    await expect(sut.command('s1', 'wa.session.qr', {})).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      details: { status: 'ready', retryAfterMs: expect.any(Number) },
    });
    await mocks.bus.close();
  });
});
