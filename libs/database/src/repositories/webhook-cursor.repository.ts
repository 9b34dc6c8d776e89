import { type EntityManager, type MikroORM, UniqueConstraintViolationException } from '@mikro-orm/core';
import { WebhookCursorEntity } from '../entities/webhook-cursor.entity';
import { guardDriverErrors } from './guard-driver-errors';

/** Durable read positions of webhook fan-out in the events streams. */
export class WebhookCursorRepository {
  constructor(private readonly orm: MikroORM) {}

  /** The last handled sequence of `stream`, or undefined before the first event. */
  get(stream: string): Promise<number | undefined> {
    return guardDriverErrors(async () => (await this.em().findOne(WebhookCursorEntity, { stream }))?.lastSeq);
  }

  /** Moves the cursor forward to `seq`; never backwards (several gateways may advance it). */
  advance(stream: string, seq: number): Promise<void> {
    return guardDriverErrors(async () => {
      const em = this.em();
      const moved = await em.nativeUpdate(WebhookCursorEntity, { stream, lastSeq: { $lt: seq } }, { lastSeq: seq, updatedAt: new Date() });
      if (moved > 0 || (await em.findOne(WebhookCursorEntity, { stream }))) return;
      try {
        await em.insert(WebhookCursorEntity, { stream, lastSeq: seq, updatedAt: new Date() });
      } catch (error) {
        // Another gateway created the row first: move it forward instead.
        if (!(error instanceof UniqueConstraintViolationException)) throw error;
        await this.em().nativeUpdate(WebhookCursorEntity, { stream, lastSeq: { $lt: seq } }, { lastSeq: seq, updatedAt: new Date() });
      }
    });
  }

  /**
   * Sets the cursor to `seq`, backwards too: for a stream that started over (recreated, its
   * sequences begin again at 1), where the old position would hold fan-out back until the new
   * stream reached it.
   */
  startOver(stream: string, seq: number): Promise<void> {
    return guardDriverErrors(async () => {
      const em = this.em();
      if ((await em.nativeUpdate(WebhookCursorEntity, { stream }, { lastSeq: seq, updatedAt: new Date() })) > 0) return;
      await this.advance(stream, seq);
    });
  }

  private em(): EntityManager {
    return this.orm.em.fork();
  }
}
