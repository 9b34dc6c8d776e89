import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownMessage, pollMessage, receivedReaction } from './__tests__/fixtures/wwebjs-messages';
import type { EngineEvent, OutboundMessage } from './engine.port';
import { WhatsappWebJsSession } from './whatsapp-web-js-session';

/** whatsapp-web.js without a browser: a client whose sends and page events the test plays. */
const fake = vi.hoisted(() => ({ clients: [] as unknown[] }));

vi.mock('whatsapp-web.js', async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  class Client extends Emitter {
    info = { wid: { user: '15550001111' }, pushname: 'Shop' };
    pupBrowser = null;
    sendMessage = vi.fn();
    getMessageById = vi.fn();
    constructor() {
      super();
      fake.clients.push(this);
    }
    async initialize() {
      this.emit('ready');
    }
  }
  class LocalAuth {}
  class MessageMedia {}
  class Location {}
  return { Client, LocalAuth, MessageMedia, Location };
});

interface FakeClient extends EventEmitter {
  sendMessage: ReturnType<typeof vi.fn>;
  getMessageById: ReturnType<typeof vi.fn>;
}

const dirs: string[] = [];
afterEach(() => {
  fake.clients.length = 0;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function setup() {
  const dataPath = mkdtempSync(join(tmpdir(), 'pb-wwebjs-unit-'));
  dirs.push(dataPath);
  const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };
  // Any executable passes the browser check; the mocked client never starts it.
  const sut = new WhatsappWebJsSession({ sessionId: 's1', executablePath: process.execPath, args: [], dataPath, logger: silent });
  const events: EngineEvent[] = [];
  sut.onEvent((event) => events.push(event));
  await sut.initialize();
  await vi.waitFor(() => expect(events.some((e) => e.type === 'ready')).toBe(true));
  return { sut, mocks: { client: fake.clients[0] as FakeClient, events } };
}

const sentMessage = { id: { _serialized: 'true_4915123456789@c.us_3EB0NEW' }, timestamp: 1_764_316_800 };
const message = (extra: Partial<OutboundMessage>): OutboundMessage => ({ clientMessageId: 'm1', to: '4915123456789@c.us', type: 'text', ...extra });

describe('WhatsappWebJsSession (whatsapp-web.js mocked)', () => {
  it('sends a reply with its quote required: a quote WhatsApp cannot find fails for good instead of going out without it', async () => {
    const { sut, mocks } = await setup();
    mocks.client.sendMessage.mockResolvedValueOnce(sentMessage);
    const quoted = 'true_4915123456789@c.us_3EB0OWN';
    await expect(sut.send(message({ type: 'reply', text: 'yes', quotedMessageId: quoted }))).resolves.toMatchObject({ waMessageId: sentMessage.id._serialized });
    expect(mocks.client.sendMessage).toHaveBeenCalledWith('4915123456789@c.us', 'yes', { quotedMessageId: quoted, ignoreQuoteErrors: false });

    mocks.client.sendMessage.mockRejectedValueOnce(new Error('Could not get the quoted message.'));
    await expect(sut.send(message({ type: 'reply', text: 'yes', quotedMessageId: 'true_4915123456789@c.us_3EB0GONE' }))).rejects.toMatchObject({
      final: true,
      message: 'send failed: WhatsApp does not know message "true_4915123456789@c.us_3EB0GONE" (the one quoted or reacted to)',
    });
    mocks.client.sendMessage.mockRejectedValueOnce(new Error('Protocol error: Target closed'));
    await expect(sut.send(message({ text: 'hi' }))).rejects.toMatchObject({ final: false });
    await sut.destroy();
  });

  it('fails a reaction for good when WhatsApp does not know its target, and reacts when it does', async () => {
    const { sut, mocks } = await setup();
    mocks.client.getMessageById.mockResolvedValueOnce(null);
    await expect(sut.send(message({ type: 'reaction', emoji: '👍', quotedMessageId: 'true_4915123456789@c.us_3EB0GONE' }))).rejects.toMatchObject({ final: true });
    mocks.client.getMessageById.mockRejectedValueOnce(new Error('Invalid serialized message id specified'));
    await expect(sut.send(message({ type: 'reaction', emoji: '👍', quotedMessageId: 'not-an-id' }))).rejects.toMatchObject({ final: true });

    const react = vi.fn(async () => undefined);
    mocks.client.getMessageById.mockResolvedValueOnce({ react });
    await expect(sut.send(message({ type: 'reaction', emoji: '👍', quotedMessageId: 'true_4915123456789@c.us_3EB0OWN' }))).resolves.toMatchObject({
      waMessageId: 'reaction:true_4915123456789@c.us_3EB0OWN:m1',
    });
    expect(react).toHaveBeenCalledWith('👍');
    await sut.destroy();
  });

  it('reports reactions of others, error acks and messages of kinds we do not carry', async () => {
    const { sut, mocks } = await setup();
    mocks.client.emit('message_reaction', receivedReaction);
    mocks.client.emit('message_ack', ownMessage, -1);
    mocks.client.emit('message', { ...pollMessage, hasQuotedMsg: false });
    await vi.waitFor(() => expect(mocks.events.some((e) => e.type === 'message_unsupported')).toBe(true));
    expect(mocks.events.filter((e) => e.type !== 'ready')).toEqual([
      { type: 'message_reaction', reaction: expect.objectContaining({ waMessageId: receivedReaction.msgId._serialized, emoji: '👍' }) },
      { type: 'message_refused', waMessageId: ownMessage.id._serialized, reason: 'WhatsApp refused the message (error ack)' },
      { type: 'message_unsupported', waMessageId: pollMessage.id._serialized, chatId: '4915123456789@c.us', kind: 'poll_creation' },
    ]);
    await sut.destroy();
  });
});
