import type { MessageEntity } from '@plugboard/database';
import { resolveQuotedMessageId } from './quoted-message';
import { UnsendableMessage } from './unsendable-message';

const OURS = '0190a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b';

function setup(stored: Partial<MessageEntity>[] = []) {
  const rows = new Map(stored.map((r) => [r.id!, { sessionId: 's1', type: 'text', status: 'sent', ...r } as MessageEntity]));
  const messages = { get: vi.fn(async (id: string) => rows.get(id) ?? null) };
  const reply = (quotedMessageId?: string) =>
    ({ id: 'm-reply', sessionId: 's1', type: 'reply', payload: quotedMessageId === undefined ? {} : { quotedMessageId } }) as MessageEntity;
  return { sut: (quotedMessageId?: string) => resolveQuotedMessageId(reply(quotedMessageId), messages), mocks: { messages } };
}

describe('resolveQuotedMessageId', () => {
  it('replaces our message id by the WhatsApp id stored with it', async () => {
    const { sut } = setup([{ id: OURS, waMessageId: 'true_4915123456789@c.us_3EB0OWN' }]);
    await expect(sut(OURS)).resolves.toBe('true_4915123456789@c.us_3EB0OWN');
    await expect(sut(OURS.toUpperCase())).resolves.toBe('true_4915123456789@c.us_3EB0OWN');
  });

  it('passes WhatsApp ids through without a lookup, and nothing when nothing is quoted', async () => {
    const { sut, mocks } = setup();
    for (const id of ['true_4915123456789@c.us_3EB0OWN', 'false_120363025246125888@g.us_3EB0A1B2_4915123456789@c.us', 'SIM.0A1B2C3D4E5F60718293']) {
      await expect(sut(id)).resolves.toBe(id);
    }
    await expect(sut()).resolves.toBeUndefined();
    expect(mocks.messages.get).not.toHaveBeenCalled();
  });

  it('fails for good an id of ours that is unknown, of another session, not sent yet, or a reaction', async () => {
    const pending = '0190a3c4-0000-7000-8000-000000000001';
    const elsewhere = '0190a3c4-0000-7000-8000-000000000002';
    const reaction = '0190a3c4-0000-7000-8000-000000000003';
    const { sut } = setup([
      { id: pending, status: 'pending', waMessageId: null },
      { id: elsewhere, sessionId: 's2', waMessageId: 'true_1@c.us_X' },
      { id: reaction, type: 'reaction', waMessageId: 'SIM.REACTION' },
    ]);
    await expect(sut(OURS)).rejects.toThrow(new UnsendableMessage(`quotedMessageId ${OURS}: no message of this session has that id`));
    await expect(sut(elsewhere)).rejects.toThrow('no message of this session has that id');
    await expect(sut(pending)).rejects.toThrow(`quotedMessageId ${pending}: that message has no WhatsApp id (it is pending)`);
    await expect(sut(reaction)).rejects.toThrow('is a reaction, which cannot be quoted or reacted to');
    await expect(sut(OURS)).rejects.toBeInstanceOf(UnsendableMessage);
  });
});
