import { Readable } from 'node:stream';
import { ErrorCode, type MediaDownload, MediaStreams } from '@plugboard/contracts';
import type { MessageEntity } from '@plugboard/database';
import { prepareSend, UnsendableMessage } from './outbound-message';

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

describe('prepareSend', () => {
  it('maps a text row and a reply, with our message id as the client id', async () => {
    const { message } = await prepareSend(row({ body: 'hi' }), undefined);
    expect(message).toMatchObject({ clientMessageId: 'm1', to: '15550001111@c.us', type: 'text', text: 'hi' });
    const reply = await prepareSend(row({ type: 'reply', body: 'yes', payload: { quotedMessageId: 'wa-9' } }), undefined);
    expect(reply.message).toMatchObject({ text: 'yes', quotedMessageId: 'wa-9' });
  });

  it('fails a media row for good when there is no file or no way to read it', async () => {
    await expect(prepareSend(row({ type: 'image', mediaId: 'f1' }), undefined)).rejects.toBeInstanceOf(UnsendableMessage);
    await expect(prepareSend(row({ type: 'image' }), new FakeMediaStreams())).rejects.toBeInstanceOf(UnsendableMessage);
    await expect(prepareSend(row({ type: 'image', mediaId: 'missing' }), new FakeMediaStreams())).rejects.toThrow('media missing not found');
  });

  it('streams media from the media-service and frees a stream the engine never read', async () => {
    const media = new FakeMediaStreams();
    const prepared = await prepareSend(row({ type: 'image', mediaId: 'f1', payload: { caption: 'look' } }), media);
    expect(prepared.message.media).toMatchObject({ mediaId: 'f1', mimeType: 'image/png', filename: 'a.png' });
    expect(prepared.message.caption).toBe('look');
    const first = await prepared.message.media!.openMedia();
    expect(first).toBe(media.lastStream);
    await prepared.message.media!.openMedia();
    expect(media.downloads).toBe(2);

    const unused = await prepareSend(row({ type: 'document', mediaId: 'f2' }), media);
    unused.release();
    expect(media.lastStream!.destroyed).toBe(true);
  });
});
