import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@plugboard/config';
import { BulkSendRequestSchema, ErrorCode, type MessageView, type SendMessageRequest, SendMessageRequestSchema } from '@plugboard/contracts';
import { Database, DatabaseError, type MessageBatchProgress, type MessageEntity, toMessageView } from '@plugboard/database';
import { QueuePort } from '@plugboard/messaging';
import { ServiceError } from '@plugboard/service-kit';
import { SessionStatusCache } from '../sessions/session-status-cache';
import type { SessionScope } from '../auth/session-scope';
import { parseInput } from '../validation/zod-pipe';
import { type Accepted, IdempotencyKeys } from './idempotency-keys';
import { BatchedJobAdds } from './batched-job-adds';
import { CancellationAnnouncer } from './cancellation-announcer';
import { enqueueBulk, enqueueSend } from './message-jobs';
import type { BatchProgress, BatchQuery, BulkAccepted, HistoryQuery, MessagePage, SendAccepted } from './messages.schemas';
import { OutboundMedia } from './outbound-media';
import { outgoingRow } from './outgoing-row';
import { SendReadiness } from './send-readiness';

/** Files of a bulk send resolved at once (media lookups and URL fetches). */
const MEDIA_CONCURRENCY = 8;

/**
 * Sending and reading messages. The gateway writes the `pending` row itself, then adds its
 * job: the row is the truth and the queue only transport, so a job lost or added twice is
 * harmless; every later status change belongs to the session-worker. Every check happens
 * before the first write, so a refused request leaves no row, no file and no job behind.
 */
@Injectable()
export class MessagesService {
  private readonly keys: IdempotencyKeys;
  private readonly readiness: SendReadiness;
  private readonly sendAdds: BatchedJobAdds;

  constructor(
    private readonly database: Database,
    private readonly queue: QueuePort,
    private readonly statusCache: SessionStatusCache,
    private readonly media: OutboundMedia,
    private readonly cancellations: CancellationAnnouncer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.keys = new IdempotencyKeys(database, config.IDEMPOTENCY_WINDOW);
    this.readiness = new SendReadiness(database, statusCache, config.QUEUE_WHEN_NOT_READY);
    this.sendAdds = new BatchedJobAdds(queue);
  }

  /**
   * Accepts one message (202): a new pending row and its job, or the message the idempotency
   * key already names — looked up before the readiness check, so a retry whose first answer
   * was lost gets that answer even while the session reconnects.
   */
  async send(sessionId: string, body: unknown, key: string | null, scope: SessionScope): Promise<Accepted<SendAccepted>> {
    const message = parseInput(SendMessageRequestSchema, body ?? {}, 'message');
    const earlier = key === null ? null : await this.keys.live(sessionId, key);
    if (earlier) return this.repeat(earlier, key);
    const session = await this.readiness.require(sessionId);
    const { mediaId, uploaded } = await this.media.resolve(sessionId, message, scope);
    let inserted;
    try {
      inserted = await this.database.messages.insertPending({ sessionId, ...outgoingRow(message, session, mediaId), idempotencyKey: key });
    } catch (error) {
      if (uploaded && mediaId) this.media.discard(mediaId);
      throw isNotFound(error) ? this.readiness.sessionGone(sessionId) : error;
    }
    if (!inserted.created) {
      // Lost the race for this key: the winner's message is the answer, our copy of the file goes.
      if (uploaded && mediaId) this.media.discard(mediaId);
      return this.repeat(inserted.message, key);
    }
    await enqueueSend(this.queue, { sessionId, messageId: inserted.message.id }, key, this.sendAdds);
    return { body: { id: inserted.message.id, status: inserted.message.status }, replayed: false };
  }

  /**
   * Accepts a bulk send (202): the batch and all its rows in one transaction, row i due
   * `i × delayMs` after the first, then one job for the whole batch. An idempotency key
   * already naming a batch answers that batch, as for a single send.
   */
  async sendBulk(sessionId: string, body: unknown, key: string | null, scope: SessionScope): Promise<Accepted<BulkAccepted>> {
    const max = this.config.BULK_MAX_MESSAGES;
    const count = (body as { messages?: unknown } | null)?.messages;
    if (Array.isArray(count) && count.length > max) {
      throw new ServiceError(ErrorCode.ValidationFailed, `a bulk send holds at most ${max} messages, not ${count.length}`, {
        issues: [{ path: 'messages', code: 'too_big', message: `at most ${max} messages (BULK_MAX_MESSAGES)` }],
      });
    }
    const request = parseInput(BulkSendRequestSchema, body ?? {}, 'bulk send');
    const earlier = key === null ? null : await this.keys.live(sessionId, key);
    if (earlier) return this.repeatBatch(earlier, key);
    const session = await this.readiness.require(sessionId);
    const files = await this.resolveAll(sessionId, request.messages, scope);
    let created;
    try {
      created = await this.database.batches.createWithMessages(
        { sessionId, total: request.messages.length, delayMs: request.delayMs },
        request.messages.map((message, i) => outgoingRow(message, session, files.ids[i])),
        key,
      );
    } catch (error) {
      files.uploaded.forEach((id) => this.media.discard(id));
      // Lost the race for this key: the winner's batch is the answer.
      const winner = key !== null && isConflict(error) ? await this.keys.live(sessionId, key) : null;
      if (winner) return this.repeatBatch(winner, key);
      throw isNotFound(error) ? this.readiness.sessionGone(sessionId) : error;
    }
    await enqueueBulk(this.queue, { sessionId, batchId: created.batch.id });
    return { body: { batchId: created.batch.id, total: created.messageIds.length }, replayed: false };
  }

  async history(sessionId: string, query: HistoryQuery): Promise<MessagePage> {
    await this.requireSession(sessionId);
    const page = await this.database.messages.history(sessionId, {
      chatId: query.chatId,
      direction: query.direction,
      type: query.type,
      status: query.status,
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
      limit: query.limit,
      cursor: query.cursor,
    });
    return { items: page.items.map(toMessageView), nextCursor: page.nextCursor };
  }

  /** One message with its timeline; 404 unless it belongs to the session. */
  async get(sessionId: string, messageId: string): Promise<MessageView> {
    const message = await this.database.messages.get(messageId);
    if (!message || message.sessionId !== sessionId) {
      throw new ServiceError(ErrorCode.NotFound, `message ${messageId} not found in session ${sessionId}`, { sessionId, messageId });
    }
    return toMessageView(message);
  }

  async batch(sessionId: string, batchId: string, query: BatchQuery): Promise<BatchProgress> {
    return this.progressView(sessionId, batchId, await this.database.batches.get(batchId), query);
  }

  /**
   * Stops what is not sent yet; messages already sending finish. Each stopped message gets its
   * `message.failed`, published after the rows changed (see CancellationAnnouncer: a repeated
   * cancel publishes what an earlier one left owed). Answers the progress after cancelling.
   */
  async cancelBatch(sessionId: string, batchId: string): Promise<BatchProgress> {
    // Checked first: cancelling must never touch another session's batch.
    await this.progressView(sessionId, batchId, await this.database.batches.get(batchId), { limit: 1 });
    const progress = await this.database.batches.cancel(batchId);
    await this.cancellations.announce(batchId);
    return this.progressView(sessionId, batchId, progress, {});
  }

  private async progressView(
    sessionId: string,
    batchId: string,
    progress: MessageBatchProgress | null,
    query: BatchQuery,
  ): Promise<BatchProgress> {
    if (!progress || progress.batch.sessionId !== sessionId) {
      throw new ServiceError(ErrorCode.NotFound, `batch ${batchId} not found in session ${sessionId}`, { sessionId, batchId });
    }
    const { batch, sent, failed, pending } = progress;
    const page = await this.database.batches.listMessages(batchId, query);
    return {
      id: batch.id,
      status: batch.status,
      total: batch.total,
      sent,
      failed,
      pending,
      delayMs: batch.delayMs,
      createdAt: batch.createdAt.toISOString(),
      completedAt: batch.completedAt ? batch.completedAt.toISOString() : null,
      messages: page.items,
      nextCursor: page.nextCursor,
    };
  }

  /** A repeat of a key answers the first message; a row still pending gets its job again (the job id de-duplicates). */
  private async repeat(message: MessageEntity, key: string | null): Promise<Accepted<SendAccepted>> {
    if (message.batchId) throw keyTaken(key, `bulk send ${message.batchId}`);
    if (message.status === 'pending') await enqueueSend(this.queue, { sessionId: message.sessionId, messageId: message.id }, key, this.sendAdds);
    return { body: { id: message.id, status: message.status }, replayed: true };
  }

  /** A repeat of a bulk send's key answers its batch; a batch with rows still to send gets its job again (de-duplicated too). */
  private async repeatBatch(first: MessageEntity, key: string | null): Promise<Accepted<BulkAccepted>> {
    const progress = first.batchId ? await this.database.batches.get(first.batchId) : null;
    if (!progress) throw keyTaken(key, `message ${first.id}`);
    const { batch, pending } = progress;
    if (batch.status === 'running' && pending > 0) await enqueueBulk(this.queue, { sessionId: batch.sessionId, batchId: batch.id });
    return { body: { batchId: batch.id, total: batch.total }, replayed: true };
  }

  private async requireSession(sessionId: string): Promise<void> {
    if (!(await this.database.sessions.get(sessionId))) throw new ServiceError(ErrorCode.NotFound, `session ${sessionId} not found`, { sessionId });
  }

  /** The media id of each message of a bulk send; one URL is fetched once however often it appears. */
  private async resolveAll(sessionId: string, messages: SendMessageRequest[], scope: SessionScope): Promise<{ ids: (string | null)[]; uploaded: string[] }> {
    const byFile = new Map<string, Promise<string | null>>();
    const uploaded: string[] = [];
    const ids: (string | null)[] = new Array<string | null>(messages.length).fill(null);
    let next = 0;
    const worker = async () => {
      while (next < messages.length) {
        const i = next++;
        const message = messages[i];
        const file = message.mediaId ?? message.mediaUrl;
        if (file === undefined) continue;
        let pending = byFile.get(file);
        if (!pending) {
          pending = this.media.resolve(sessionId, message, scope).then((resolved) => {
            if (resolved.uploaded && resolved.mediaId) uploaded.push(resolved.mediaId);
            return resolved.mediaId;
          });
          byFile.set(file, pending);
        }
        ids[i] = await pending;
      }
    };
    try {
      await Promise.all(Array.from({ length: MEDIA_CONCURRENCY }, worker));
    } catch (error) {
      await Promise.allSettled(byFile.values());
      uploaded.forEach((id) => this.media.discard(id));
      throw error;
    }
    return { ids, uploaded };
  }
}

/** The database's NOT_FOUND on an insert: the session row the new rows refer to is gone. */
function isNotFound(error: unknown): boolean {
  return error instanceof DatabaseError && error.code === ErrorCode.NotFound;
}

/** The database's CONFLICT on a batch insert with a key: another row holds the key. */
function isConflict(error: unknown): boolean {
  return error instanceof DatabaseError && error.code === ErrorCode.Conflict;
}

/** 409 for a key reused across routes: a single send and a bulk send never answer each other. */
function keyTaken(key: string | null, holder: string): ServiceError {
  return new ServiceError(ErrorCode.Conflict, `Idempotency-Key already names ${holder}; use another key for this request`, {
    header: 'idempotency-key',
    key,
  });
}
