import { Readable } from 'node:stream';
import { ErrorCode, type MediaDownload, MediaStreams } from '@plugboard/contracts';
import type { MessageEntity } from '@plugboard/database';
import { prepareSend, type SendSources } from './outbound-message';
import { UnsendableMessage } from './unsendable-message';

function row(extra: Partial<MessageEntity>): MessageEntity {
  return { id: 'm1', sessionId: 's1', chatId: '15550001111@c.us', type: 'text', body: null, mediaId: null, payload: {}, ...extra } as MessageEntity;
}

class FakeMediaStreams extends MediaStreams {
  readonly plug = 'fake';
  downloads = 0;
  lastStream: Readable | undefined;
  override async download(id: string): Promise<MediaDownload> {
    this.downloads++;
    if (id === 'missing') throw Object.assign(new Error('not found'), { code: ErrorCode.NotFound });
    this.lastStream = Readable.from([Buffer.from('bytes')]);
    const record = { id, sessionId: null, messageId: null, direction: 'outbound', key: id, mimeType: 'image/png', size: 5, sha256: 'x', filename: 'a.png', createdAt: new Date().toISOString() } as MediaDownload['record'];
    return { record, stream: this.lastStream, size: 5 };
  }
  upload = () => Promise.reject(new Error('unused'));
  exportArchive = () => Promise.reject(new Error('unused'));
  importArchive = () => Promise.reject(new Error('unused'));
  checkStorage = () => Promise.reject(new Error('unused'));
}

/** No quoted rows: these rows quote nothing, or quote by WhatsApp id. */
function sources(media?: MediaStreams): SendSources {
  return { media, messages: { get: async () => null } };
}

describe('prepareSend', () => {
  it('maps a text row and a reply, with our message id as the client id', async () => {
    const { message } = await prepareSend(row({ body: 'hi' }), sources());
    expect(message).toMatchObject({ clientMessageId: 'm1', to: '15550001111@c.us', type: 'text', text: 'hi' });
    const reply = await prepareSend(row({ type: 'reply', body: 'yes', payload: { quotedMessageId: 'wa-9' } }), sources());
    expect(reply.message).toMatchObject({ text: 'yes', quotedMessageId: 'wa-9' });
  });

  it('hands the engine the WhatsApp id of a message quoted by our id', async () => {
    const quoted = { id: '0190a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b', sessionId: 's1', type: 'text', waMessageId: 'true_15550001111@c.us_3EB0' } as MessageEntity;
    const messages = { get: async (id: string) => (id === quoted.id ? quoted : null) };
    const reaction = row({ type: 'reaction', payload: { quotedMessageId: quoted.id, emoji: '👍' } });
    const { message } = await prepareSend(reaction, { media: undefined, messages });
    expect(message).toMatchObject({ type: 'reaction', quotedMessageId: 'true_15550001111@c.us_3EB0', emoji: '👍' });
  });

  it('fails a media row for good when there is no file or no way to read it', async () => {
    await expect(prepareSend(row({ type: 'image', mediaId: 'f1' }), sources())).rejects.toBeInstanceOf(UnsendableMessage);
    await expect(prepareSend(row({ type: 'image' }), sources(new FakeMediaStreams()))).rejects.toBeInstanceOf(UnsendableMessage);
    await expect(prepareSend(row({ type: 'image', mediaId: 'missing' }), sources(new FakeMediaStreams()))).rejects.toThrow('media missing not found');
  });

  it('streams media from the media-service and frees a stream the engine never read', async () => {
    const media = new FakeMediaStreams();
    const prepared = await prepareSend(row({ type: 'image', mediaId: 'f1', payload: { caption: 'look' } }), sources(media));
    expect(prepared.message.media).toMatchObject({ mediaId: 'f1', mimeType: 'image/png', filename: 'a.png' });
    expect(prepared.message.caption).toBe('look');
    const first = await prepared.message.media!.openMedia();
    expect(first).toBe(media.lastStream);
    await prepared.message.media!.openMedia();
    expect(media.downloads).toBe(2);

    const unused = await prepareSend(row({ type: 'document', mediaId: 'f2' }), sources(media));
    unused.release();
    expect(media.lastStream!.destroyed).toBe(true);
  });
});
