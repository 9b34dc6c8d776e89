import { Readable } from 'node:stream';
import { ErrorCode, type MediaRecord, type MediaStreams } from '@plugboard/contracts';
import { ServiceError, nameBasedUuid } from '@plugboard/service-kit';
import type { InboundMessage } from '../engine/engine.port';

export interface InboundMediaTarget {
  /** The media id to store under: `inboundMediaId` of the message. */
  id: string;
  sessionId: string;
  /** Our id of the message the file belongs to. */
  messageId: string;
}

export interface InboundMediaLimits {
  /** MEDIA_MAX_BYTES: the media-service refuses more, so a larger declared file is not even downloaded. */
  maxBytes: number;
  /** Download and upload together; a stalled engine download must not hold the session's events forever. */
  timeoutMs: number;
}

// Fixed namespace of the derived ids: changing it would store a redelivered message's file again.
const INBOUND_MEDIA_NAMESPACE = Buffer.from('6f1d2c3e8a9b4c5d9e0f1a2b3c4d5e6f', 'hex');

/**
 * The media id of a received message's file, the same on every delivery of its event: a run
 * that stored the file and stopped before the message row said so leaves it to be found by
 * the next run, not stored twice.
 */
export function inboundMediaId(messageId: string): string {
  return nameBasedUuid(INBOUND_MEDIA_NAMESPACE, messageId);
}

/**
 * Streams a received file from the engine into the media-service. The size is not declared to
 * the upload: engines report WhatsApp's figure, which need not match the bytes, and the
 * media-service enforces its cap while streaming anyway.
 */
export async function uploadInboundMedia(
  streams: MediaStreams,
  media: NonNullable<InboundMessage['media']>,
  target: InboundMediaTarget,
  limits: InboundMediaLimits,
): Promise<MediaRecord> {
  if (media.size !== undefined && media.size > limits.maxBytes) {
    throw new ServiceError(ErrorCode.PayloadTooLarge, `file of ${media.size} bytes is over the ${limits.maxBytes}-byte limit`);
  }
  let source: Readable | undefined;
  const work = (async () => {
    source = toReadable(await media.download());
    return streams.upload({
      id: target.id,
      stream: source,
      contentType: media.mimeType,
      filename: media.filename,
      sessionId: target.sessionId,
      messageId: target.messageId,
      direction: 'inbound',
    });
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new ServiceError(ErrorCode.ServiceUnavailable, `media transfer took longer than ${limits.timeoutMs} ms`);
      source?.destroy(error);
      reject(error);
    }, limits.timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } catch (error) {
    // The engine's download may be left half read by the failed upload.
    source?.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
    // A late failure of the abandoned transfer has nobody to report to.
    work.catch(() => undefined);
  }
}

/** A reason a person can read (logs, `payload.mediaError`): the error code first when there is one. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
}

function toReadable(stream: NodeJS.ReadableStream): Readable {
  return stream instanceof Readable ? stream : Readable.from(stream as AsyncIterable<Buffer>, { objectMode: false });
}
