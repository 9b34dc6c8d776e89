import {
  buttonsReplyMessage,
  clientInfo,
  documentMessage,
  groupReaction,
  groupTextMessage,
  imageMessage,
  listReplyMessage,
  locationMessage,
  ownMessage,
  ownReaction,
  pollMessage,
  receivedReaction,
  removedReaction,
  replyMessage,
  revokedMessage,
  textMessage,
  vcardMessage,
  voiceMessage,
} from './__tests__/fixtures/wwebjs-messages';
import {
  ackLevelOf,
  messageTypeOf,
  toAckEvent,
  toDisconnectedEvent,
  toInboundMessage,
  toMessageEvent,
  toQrEvent,
  toReactionEvent,
  toReadyEvent,
  toRevokedEvent,
  toStateEvent,
  vcardOf,
} from './wwebjs-event-mapper';

function setup() {
  const download = vi.fn(async () => {
    throw new Error('not in a unit test');
  });
  return { sut: (message: Parameters<typeof toInboundMessage>[0], quotedMessageId?: string) => toInboundMessage(message, { download, quotedMessageId }), mocks: { download } };
}

describe('wwebjs event mapper', () => {
  it('maps whatsapp-web.js message types to ours, and drops the ones we do not carry', () => {
    expect(['chat', 'image', 'video', 'ptt', 'audio', 'document', 'location', 'vcard', 'multi_vcard'].map(messageTypeOf)).toEqual([
      'text',
      'image',
      'video',
      'audio',
      'audio',
      'document',
      'location',
      'contact',
      'contact',
    ]);
    expect(messageTypeOf('revoked')).toBeNull();
    expect(messageTypeOf('e2e_notification')).toBeNull();
  });

  it('maps ack numbers -1..4: error and pending are not steps, played counts as read', () => {
    expect([-1, 0, 1, 2, 3, 4].map(ackLevelOf)).toEqual([null, null, 'sent', 'delivered', 'read', 'read']);
  });

  it('maps a received text message, timestamp from seconds', () => {
    const { sut } = setup();
    expect(sut(textMessage)).toEqual({
      waMessageId: 'false_4915123456789@c.us_3EB0C767D26A8D5D3A1F',
      chatId: '4915123456789@c.us',
      from: '4915123456789@c.us',
      to: '15550001111@c.us',
      type: 'text',
      body: 'Hallo!',
      timestamp: new Date(1_764_316_800_000),
    });
  });

  it('keeps the group as chat and the author as sender', () => {
    const { sut } = setup();
    expect(sut(groupTextMessage)).toMatchObject({ chatId: '120363025246125888@g.us', from: '4915123456789@c.us' });
  });

  it('maps media with caption, mime type, file name and size, bytes on demand', () => {
    const { sut, mocks } = setup();
    const image = sut(imageMessage);
    expect(image).toMatchObject({ type: 'image', body: 'a caption', media: { mimeType: 'image/jpeg', size: 48_213 } });
    expect(image?.media?.download).toBe(mocks.download);
    expect(sut(voiceMessage)).toMatchObject({ type: 'audio', media: { mimeType: 'audio/ogg; codecs=opus' } });
    expect(sut(voiceMessage)?.body).toBeUndefined();
    expect(sut(documentMessage)).toMatchObject({ type: 'document', media: { mimeType: 'application/pdf', filename: 'invoice.pdf' } });
    expect(mocks.download).not.toHaveBeenCalled();
  });

  it('maps a location to coordinates, not the thumbnail body', () => {
    const { sut } = setup();
    const location = sut(locationMessage);
    expect(location?.body).toBeUndefined();
    expect(location?.location).toEqual({ latitude: 52.520008, longitude: 13.404954, description: 'Alexanderplatz\nBerlin' });
  });

  it('maps a vCard to a contact with the card as body', () => {
    const { sut } = setup();
    expect(sut(vcardMessage)).toMatchObject({ type: 'contact', body: expect.stringContaining('FN:Ada') });
  });

  it('carries the quoted message id resolved by the caller', () => {
    const { sut } = setup();
    expect(sut(replyMessage, 'true_4915123456789@c.us_3EB0ORIG')?.quotedMessageId).toBe('true_4915123456789@c.us_3EB0ORIG');
    expect(sut(replyMessage)?.quotedMessageId).toBeUndefined();
  });

  it('drops our own and revoked messages', () => {
    const { sut } = setup();
    expect(sut(ownMessage)).toBeNull();
    expect(sut(revokedMessage)).toBeNull();
  });

  it('reports received messages of kinds we do not carry, with their kind, instead of dropping them unseen', () => {
    const { mocks } = setup();
    const extras = { download: mocks.download };
    expect(toMessageEvent(textMessage, extras)).toMatchObject({ type: 'message', message: { waMessageId: textMessage.id._serialized } });
    expect([pollMessage, buttonsReplyMessage, listReplyMessage].map((m) => toMessageEvent(m, extras))).toEqual([
      { type: 'message_unsupported', waMessageId: 'false_4915123456789@c.us_3EB0POLL', chatId: '4915123456789@c.us', kind: 'poll_creation' },
      { type: 'message_unsupported', waMessageId: 'false_4915123456789@c.us_3EB0BUTTON', chatId: '4915123456789@c.us', kind: 'buttons_response' },
      {
        type: 'message_unsupported',
        waMessageId: 'false_120363025246125888@g.us_3EB0LIST_4915123456789@c.us',
        chatId: '120363025246125888@g.us',
        kind: 'list_response',
      },
    ]);
    expect(toMessageEvent({ ...pollMessage, fromMe: true }, extras)).toBeNull();
    expect(toMessageEvent(ownMessage, extras)).toBeNull();
  });

  it('maps reactions of others: the reacted message, its chat, who reacted, the emoji (empty = taken back) and when', () => {
    expect(toReactionEvent(receivedReaction)).toEqual({
      type: 'message_reaction',
      reaction: {
        waMessageId: 'true_4915123456789@c.us_3EB0OWN',
        chatId: '4915123456789@c.us',
        from: '4915123456789@c.us',
        emoji: '👍',
        timestamp: new Date(1_764_316_860_123),
      },
    });
    // The group's key carries no `remote`: the chat comes from the serialized id.
    expect(toReactionEvent(groupReaction)).toMatchObject({
      reaction: { chatId: '120363025246125888@g.us', from: '4915123456789@c.us', emoji: '❤️' },
    });
    expect(toReactionEvent(removedReaction)).toMatchObject({ reaction: { emoji: '', timestamp: new Date(1_764_316_920_000) } });
    expect(toReactionEvent(ownReaction)).toBeNull();
  });

  it('maps an error ack to a refusal of the message', () => {
    expect(toAckEvent(ownMessage, -1)).toEqual({
      type: 'message_refused',
      waMessageId: ownMessage.id._serialized,
      reason: 'WhatsApp refused the message (error ack)',
    });
    expect(toAckEvent(ownMessage, 0)).toBeNull();
  });

  it('maps acks, revokes, QR, ready, state and disconnects', () => {
    expect(toAckEvent(ownMessage, 2)).toEqual({ type: 'message_ack', waMessageId: ownMessage.id._serialized, ack: 'delivered' });
    expect(toRevokedEvent(revokedMessage, textMessage)).toEqual({
      type: 'message_revoked',
      waMessageId: textMessage.id._serialized,
      chatId: '4915123456789@c.us',
    });
    expect(toRevokedEvent(ownMessage, null)).toMatchObject({ chatId: '4915123456789@c.us' });
    const now = new Date('2026-01-01T00:00:00Z');
    expect(toQrEvent('2@abc,def', now)).toEqual({ type: 'qr', qr: '2@abc,def', expiresAt: new Date('2026-01-01T00:00:20Z') });
    expect(toReadyEvent(clientInfo)).toEqual({ type: 'ready', phone: '15550001111', pushName: 'Plugboard Shop' });
    expect(toStateEvent('CONFLICT')).toEqual({ type: 'state', state: 'CONFLICT' });
    expect(toDisconnectedEvent('LOGOUT')).toEqual({ type: 'disconnected', reason: 'LOGOUT' });
    expect(toDisconnectedEvent(undefined)).toEqual({ type: 'disconnected', reason: 'disconnected' });
  });

  it('writes a contact card WhatsApp makes tappable', () => {
    expect(vcardOf({ name: 'Ada; Lovelace', phone: '+1 (555) 123-4567' })).toBe(
      'BEGIN:VCARD\nVERSION:3.0\nFN:Ada  Lovelace\nTEL;type=CELL;waid=15551234567:+15551234567\nEND:VCARD',
    );
  });
});
