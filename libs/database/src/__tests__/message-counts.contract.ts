import { uniqueName } from '@plugboard/testing';
import { MessageEntity } from '../entities/message.entity';
import { type MessageCount, MessageRepository } from '../repositories/message.repository';
import { SessionRepository } from '../repositories/session.repository';
import type { RepositoryContractContext } from './repositories.contract';

/** The grouped message counts of a time window (the sessions stats), on every database plug. */
export function runMessageCountsContract(plug: string, ctx: RepositoryContractContext): void {
  describe(`message counts contract (${plug})`, () => {
    let sessions: SessionRepository;
    let messages: MessageRepository;

    beforeEach(({ skip }) => {
      skip(!ctx.available(), `${plug} is unavailable`);
      sessions = new SessionRepository(ctx.orm());
      messages = new MessageRepository(ctx.orm());
    });

    const newSession = () => sessions.create({ name: uniqueName('s'), engine: 'simulator', desiredState: 'running' });
    const sent = async (sessionId: string) =>
      (await messages.insertPending({ sessionId, chatId: 'c', from: 'me', to: 'c', type: 'text', body: 'out' })).message;
    const received = (sessionId: string, at: Date) =>
      messages.recordIncoming({ sessionId, waMessageId: uniqueName('wa'), chatId: 'c', from: 'c', to: 'me', type: 'text', body: 'in', at });

    it('counts the messages of the named sessions created since the instant, by session, direction and current status', async () => {
      const [one, two, unasked] = [await newSession(), await newSession(), await newSession()];
      const since = new Date(Date.now() - 60_000);
      const generation = (await sessions.claim(one.id, 'worker-a', 10_000))!;

      const [pending, sending, failed, delivered] = [await sent(one.id), await sent(one.id), await sent(one.id), await sent(one.id)];
      await messages.transition(sending.id, 'sending', { generation });
      await messages.transition(failed.id, 'failed', { failureReason: 'refused' });
      await messages.transition(delivered.id, 'sending', { generation });
      await messages.transition(delivered.id, 'sent', { waMessageId: uniqueName('wa') });
      await messages.transition(delivered.id, 'delivered');
      expect(pending.status).toBe('pending');
      await received(one.id, since);
      await received(one.id, new Date(since.getTime() - 1));
      // Outside the window by its creation time, whatever its status now.
      const old = await sent(one.id);
      await ctx.orm().em.fork().nativeUpdate(MessageEntity, { id: old.id }, { createdAt: new Date(since.getTime() - 1) });
      await received(two.id, new Date());
      await received(two.id, new Date());
      await sent(unasked.id);

      const counts = await messages.countsSince([two.id, one.id], since);
      const of = (sessionId: string) => counts.filter((c) => c.sessionId === sessionId).map(({ direction, status, count }) => ({ direction, status, count }));
      expect(of(one.id)).toEqual(
        expect.arrayContaining([
          { direction: 'outgoing', status: 'pending', count: 1 },
          { direction: 'outgoing', status: 'sending', count: 1 },
          { direction: 'outgoing', status: 'failed', count: 1 },
          { direction: 'outgoing', status: 'delivered', count: 1 },
          { direction: 'incoming', status: 'delivered', count: 1 },
        ]),
      );
      expect(of(one.id)).toHaveLength(5);
      expect(of(two.id)).toEqual([{ direction: 'incoming', status: 'delivered', count: 2 }]);
      expect(counts.some((c) => c.sessionId === unasked.id)).toBe(false);
      expect(typeof counts[0]?.count).toBe('number');
    });

    it('answers nothing for no sessions, and for sessions without messages in the window', async () => {
      const quiet = await newSession();
      expect(await messages.countsSince([], new Date(0))).toEqual([]);
      await sent(quiet.id);
      expect(await messages.countsSince([quiet.id], new Date(Date.now() + 60_000))).toEqual([]);
      const all: MessageCount[] = [{ sessionId: quiet.id, direction: 'outgoing', status: 'pending', count: 1 }];
      expect(await messages.countsSince([quiet.id], new Date(0))).toEqual(all);
    });

    it('counts sessions named past the first thousand as well (the ids go in chunks)', async () => {
      const [first, last] = [await newSession(), await newSession()];
      await sent(first.id);
      await sent(last.id);
      const ids = [first.id, ...Array.from({ length: 1_500 }, (_, i) => `absent-${i}`), last.id];
      const counted = (await messages.countsSince(ids, new Date(0))).map((c) => c.sessionId);
      expect(counted.sort()).toEqual([first.id, last.id].sort());
    });
  });
}
