import type { Readable } from 'node:stream';
import { ErrorCode, MEDIA_MESSAGE_TYPES, type MediaStreams } from '@plugboard/contracts';
import type { MessageEntity } from '@plugboard/database';
import type { OutboundMessage } from '../engine/engine.port';
import { type QuotedMessages, resolveQuotedMessageId } from './quoted-message';
import { UnsendableMessage } from './unsendable-message';

/** Where a send's parts come from besides its row: the media-service's bytes, the rows of quoted messages. */
export interface SendSources {
  media: MediaStreams | undefined;
  messages: QuotedMessages;
}

/** What was opened to build a send, to close once the engine is done with it. */
export interface PreparedSend {
  message: OutboundMessage;
  /** Frees a media stream the engine did not consume (e.g. a resend answered from the engine's memory). */
  release(): void;
}

/**
 * Builds the engine's view of a stored row: the common columns plus the request fields kept
 * in `payload`, the quoted message as WhatsApp knows it (see resolveQuotedMessageId). Media
 * bytes come from the media-service through `media` as a stream, opened once here (the mime
 * type comes with it) and handed to the engine when it asks.
 */
export async function prepareSend(row: MessageEntity, { media, messages }: SendSources): Promise<PreparedSend> {
  const payload = row.payload ?? {};
  const text = stringOf(payload.text) ?? row.body ?? undefined;
  const message: OutboundMessage = {
    clientMessageId: row.id,
    to: row.chatId,
    type: row.type,
    text: row.type === 'text' || row.type === 'reply' ? text : undefined,
    caption: stringOf(payload.caption),
    location: payload.location as OutboundMessage['location'],
    contact: payload.contact as OutboundMessage['contact'],
    quotedMessageId: await resolveQuotedMessageId(row, messages),
    emoji: stringOf(payload.emoji) ?? (row.type === 'reaction' ? text : undefined),
  };
  if (!MEDIA_MESSAGE_TYPES.includes(row.type)) return { message, release: () => undefined };
  if (!row.mediaId) throw new UnsendableMessage(`a ${row.type} message needs a stored file (mediaId)`);
  if (!media) throw new UnsendableMessage('media streams are not available on this worker');
  const mediaId = row.mediaId;
  let download: Awaited<ReturnType<MediaStreams['download']>>;
  try {
    download = await media.download(mediaId);
  } catch (error) {
    if ((error as { code?: unknown }).code === ErrorCode.NotFound) throw new UnsendableMessage(`media ${mediaId} not found`);
    throw error;
  }
  let unopened: Readable | undefined = download.stream;
  message.media = {
    mediaId,
    mimeType: download.record.mimeType,
    filename: stringOf(payload.filename) ?? download.record.filename ?? undefined,
    openMedia: async () => {
      const first = unopened;
      unopened = undefined;
      // A second read (an engine retrying internally) fetches the bytes again.
      return first ?? (await media.download(mediaId)).stream;
    },
  };
  return { message, release: () => unopened?.destroy() };
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
