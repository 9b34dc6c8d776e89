import { waitFor } from '@plugboard/testing';
import { type EmbeddedStack, call, startEmbeddedStack } from './support/embedded-stack';

// Gateway and session-worker in one process: the send goes all the way to the simulator.
describe('send through the embedded stack (gateway → queue → session-worker → simulator)', () => {
  let stack: EmbeddedStack;

  beforeAll(async () => {
    stack = await startEmbeddedStack();
  });
  afterAll(async () => stack?.close());

  it('accepts a send with 202 and the worker moves the row past pending', async () => {
    const created = await call(stack, 'POST', '/api/sessions', { name: 'pipeline', engine: 'simulator' });
    const id = created.body.id as string;
    const statusOf = async () => (await call(stack, 'GET', `/api/sessions/${id}/status`)).body?.status as string;
    await waitFor('qr_ready', async () => (await statusOf()) === 'qr_ready', { timeoutMs: 20_000 });
    await call(stack, 'POST', `/api/sessions/${id}/simulator/pair`);
    await waitFor('ready', async () => (await statusOf()) === 'ready', { timeoutMs: 20_000 });

    const accepted = await call(stack, 'POST', `/api/sessions/${id}/messages`, { to: '15551234567', type: 'text', text: 'hello' });
    expect(accepted).toMatchObject({ status: 202, body: { status: 'pending' } });
    const sent = await waitFor(
      'the message to be sent',
      async () => {
        const view = await call(stack, 'GET', `/api/sessions/${id}/messages/${accepted.body.id}`);
        return ['sent', 'delivered', 'read'].includes(view.body.status) ? view.body : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(sent.waMessageId).toEqual(expect.any(String));
    expect(sent.timeline.map((t: { status: string }) => t.status)).toContain('sent');
  });
});
