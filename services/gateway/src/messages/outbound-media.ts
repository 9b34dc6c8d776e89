import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import { ErrorCode, type SendMessageRequest } from '@plugboard/contracts';
import { BusPort } from '@plugboard/messaging';
import { MediaStreamsSwitch, ServiceError, ServiceLogger } from '@plugboard/service-kit';
import type { Readable } from 'node:stream';
import { request } from 'undici';
import { type SessionScope, assertInScope } from '../auth/session-scope';
import { assertPublicUrl, createPinnedDispatcher, parseAllowedHosts } from '../ssrf';

/** How long fetching a `mediaUrl` may take, connection and body together. */
const FETCH_TIMEOUT_MS = 60_000;

/** The file a message carries: its media id, and whether this request stored it (to undo on a lost race). */
export interface ResolvedMedia {
  mediaId: string | null;
  uploaded: boolean;
}

/**
 * Turns a send request's file into a media id before anything is written: a `mediaId` must
 * exist (404 MEDIA_NOT_FOUND) and be readable with the caller's key (403 otherwise); a `mediaUrl` is fetched through the SSRF guard (pinned to the
 * vetted address, no redirects) and streamed into the media-service, which caps it at
 * MEDIA_MAX_BYTES (a declared larger Content-Length is refused before reading).
 */
@Injectable()
export class OutboundMedia {
  private readonly allowedHosts: string[];

  constructor(
    private readonly bus: BusPort,
    private readonly streams: MediaStreamsSwitch,
    private readonly logger: ServiceLogger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.allowedHosts = parseAllowedHosts(config.SSRF_ALLOWED_HOSTS);
  }

  /** `scope`: the sessions of the caller's key, whose files alone it may send. */
  async resolve(sessionId: string, message: SendMessageRequest, scope: SessionScope): Promise<ResolvedMedia> {
    if (message.mediaId !== undefined) {
      await this.requireUsable(message.mediaId, scope);
      return { mediaId: message.mediaId, uploaded: false };
    }
    if (message.mediaUrl !== undefined) return { mediaId: await this.fetchInto(sessionId, message), uploaded: true };
    return { mediaId: null, uploaded: false };
  }

  /** Removes a file this request stored but no message uses (another request with the same key won). */
  discard(mediaId: string): void {
    this.bus.request('media.delete', { id: mediaId }).catch((error: unknown) => {
      this.logger.warn(`messages: could not delete unused media ${mediaId}: ${String(error)}`, 'Messages');
    });
  }

  /** The file exists and the key may read it: a key limited to some sessions sends none of another's. */
  private async requireUsable(id: string, scope: SessionScope): Promise<void> {
    try {
      const record = await this.bus.request('media.get', { id });
      assertInScope(scope, record.sessionId);
    } catch (error) {
      if ((error as { code?: unknown }).code === ErrorCode.NotFound) {
        throw new ServiceError(ErrorCode.MediaNotFound, `media ${id} not found`, { mediaId: id });
      }
      throw error;
    }
  }

  private async fetchInto(sessionId: string, message: SendMessageRequest): Promise<string> {
    const max = this.config.MEDIA_MAX_BYTES;
    const target = await assertPublicUrl(message.mediaUrl!, { allowedHosts: this.allowedHosts });
    const dispatcher = createPinnedDispatcher(target, { connectTimeoutMs: FETCH_TIMEOUT_MS, keepAliveMs: 1 });
    let body: Readable | undefined;
    try {
      const response = await request(target.url, { method: 'GET', dispatcher, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) }).catch(
        (error: unknown) => {
          throw new ServiceError(ErrorCode.ValidationFailed, `mediaUrl could not be fetched: ${describe(error)}`, { mediaUrl: message.mediaUrl });
        },
      );
      if (response.statusCode < 200 || response.statusCode >= 300) {
        await response.body.dump().catch(() => undefined);
        // Redirects are not followed: their target would not have passed the guard.
        throw new ServiceError(ErrorCode.ValidationFailed, `mediaUrl answered HTTP ${response.statusCode}`, {
          mediaUrl: message.mediaUrl,
          status: response.statusCode,
        });
      }
      body = response.body;
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > max) {
        response.body.destroy();
        throw tooLarge(max);
      }
      const contentType = header(response.headers['content-type']);
      const record = await this.streams.upload({
        // The media-service caps the bytes themselves (MEDIA_MAX_BYTES) when no length was declared.
        stream: response.body,
        ...(contentType ? { contentType } : {}),
        ...(Number.isFinite(declared) ? { size: declared } : {}),
        filename: message.filename ?? filenameOf(target.url),
        sessionId,
        direction: 'outbound',
      });
      return record.id;
    } finally {
      // A refused upload leaves the rest unread: drop the connection rather than download it.
      if (body && !body.readableEnded) body.destroy();
      void dispatcher.close().catch(() => undefined);
    }
  }
}

function tooLarge(max: number): ServiceError {
  return new ServiceError(ErrorCode.PayloadTooLarge, `media larger than the ${max} bytes allowed`, { maxBytes: max });
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The last path segment of the URL, when it looks like a file name. */
function filenameOf(url: URL): string | undefined {
  let last: string;
  try {
    last = decodeURIComponent(url.pathname.split('/').pop() ?? '');
  } catch {
    return undefined;
  }
  return /^[^\\/\0]{1,255}$/.test(last) && last.includes('.') ? last : undefined;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.name === 'TimeoutError' || error.name === 'AbortError' ? 'timed out' : error.message;
  return String(error);
}
