import { uniqueName } from '@plugboard/testing';
import { MessageAnnouncementRepository } from '../repositories/message-announcements';
import { MessageRepository } from '../repositories/message.repository';
import { SessionRepository } from '../repositories/session.repository';
import type { RepositoryContractContext } from './repositories.contract';

/** Which received messages still owe their `message.received`, on every database plug. */
export function runMessageAnnouncementsContract(plug: string, ctx: RepositoryContractContext): void {
  describe(`message announcements contract (${plug})`, () => {
    let sessions: SessionRepository;
    let messages: MessageRepository;
    let announcements: MessageAnnouncementRepository;

    beforeEach(({ skip }) => {
      skip(!ctx.available(), `${plug} is unavailable`);
      sessions = new SessionRepository(ctx.orm());
      messages = new MessageRepository(ctx.orm());
      announcements = new MessageAnnouncementRepository(ctx.orm());
    });

    const newSession = () => sessions.create({ name: uniqueName('s'), engine: 'simulator', desiredState: 'running' });
    const received = async (sessionId: string, waMessageId: string, second: number) =>
      (
        await messages.recordIncoming({
          sessionId,
          waMessageId,
          chatId: 'c',
          from: 'c',
          to: 'me',
          type: 'text',
          body: waMessageId,
          at: new Date(Date.UTC(2026, 0, 1, 0, 0, second)),
        })
      ).message;

    it('lists the unannounced received messages of a session oldest first, in keyset pages, and only those', async () => {
      const session = await newSession();
      const elsewhere = await newSession();
      const c = await received(session.id, 'wa-c', 3);
      const a = await received(session.id, 'wa-a', 1);
      const b = await received(session.id, 'wa-b', 2);
      const d = await received(session.id, 'wa-d', 4);
      await received(elsewhere.id, 'wa-x', 1);
      await messages.insertPending({ sessionId: session.id, chatId: 'c', from: 'me', to: 'c', type: 'text', body: 'out' });
      expect(await announcements.markAnnounced(c.id)).toBe(true);

      const first = await announcements.listUnannounced(session.id, { limit: 2 });
      expect(first.map((m) => m.waMessageId)).toEqual(['wa-a', 'wa-b']);
      expect(first[0]).toMatchObject({ id: a.id, direction: 'incoming', body: 'wa-a', announcedAt: null });
      // Marking rows between pages neither skips nor repeats one.
      await announcements.markAnnounced(a.id);
      const last = first.at(-1)!;
      const second = await announcements.listUnannounced(session.id, { limit: 2, after: { createdAt: last.createdAt, id: last.id } });
      expect(second.map((m) => m.id)).toEqual([d.id]);
      expect((await announcements.listUnannounced(session.id, { limit: 10 })).map((m) => m.id)).toEqual([b.id, d.id]);
    });

    it('marks a received message announced once, and never an outgoing one', async () => {
      const session = await newSession();
      const message = await received(session.id, 'wa-1', 1);
      expect(message.announcedAt ?? null).toBeNull();
      const at = new Date('2026-02-03T04:05:06.789Z');
      expect(await announcements.markAnnounced(message.id, at)).toBe(true);
      expect(await announcements.markAnnounced(message.id)).toBe(false);
      expect((await messages.get(message.id))?.announcedAt?.toISOString()).toBe(at.toISOString());
      // A redelivery finds the row announced.
      const again = await messages.recordIncoming({ sessionId: session.id, waMessageId: 'wa-1', chatId: 'c', from: 'c', to: 'me', type: 'text' });
      expect(again).toMatchObject({ created: false });
      expect(again.message.announcedAt?.toISOString()).toBe(at.toISOString());

      const { message: out } = await messages.insertPending({ sessionId: session.id, chatId: 'c', from: 'me', to: 'c', type: 'text' });
      expect(await announcements.markAnnounced(out.id)).toBe(false);
      expect((await messages.get(out.id))?.announcedAt).toBeNull();
    });
  });
}
