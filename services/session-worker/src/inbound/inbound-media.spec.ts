import { PassThrough } from 'node:stream';
import { ErrorCode, type MediaStreams } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import { inboundMediaId, uploadInboundMedia } from './inbound-media';

const target = { id: inboundMediaId('m-1'), sessionId: 's-1', messageId: 'm-1' };
const limits = { maxBytes: 1024, timeoutMs: 5_000 };

describe('uploadInboundMedia', () => {
  it('closes the engine download when the upload fails without reading it', async () => {
    const download = new PassThrough();
    const streams = { upload: () => Promise.reject(new ServiceError(ErrorCode.ServiceUnavailable, 'storage down')) } as unknown as MediaStreams;

    await expect(uploadInboundMedia(streams, { mimeType: 'image/png', download: async () => download }, target, limits)).rejects.toThrow('storage down');
    expect(download.destroyed).toBe(true);
  });

  it('derives the same media id from the same message id, and another from another', () => {
    expect(inboundMediaId('m-1')).toBe(target.id);
    expect(inboundMediaId('m-2')).not.toBe(target.id);
    expect(target.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
