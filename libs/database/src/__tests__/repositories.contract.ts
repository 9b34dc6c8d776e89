import type { MikroORM } from '@mikro-orm/core';
import { ErrorCode } from '@plugboard/contracts';
import { uniqueName } from '@plugboard/testing';
import { DatabaseError } from '../database.errors';
import { MESSAGE_STATUSES, MessageEntity } from '../entities/message.entity';
import { canTransition } from '../repositories/message-status';
import { MessageBatchRepository } from '../repositories/message-batch.repository';
import { MessageRepository } from '../repositories/message.repository';
import { SessionRepository } from '../repositories/session.repository';
import { SimulatorRepository } from '../repositories/simulator.repository';

export interface RepositoryContractContext {
  /** The ORM of the database under test (schema ready). */
  orm(): MikroORM;
  /** A second, independent ORM on the same database, for true concurrency. */
  other(): MikroORM;
  /** False when the backend is unreachable (the suite then skips). */
  available(): boolean;
}

/** The behaviour every database plug must show, run against the real backend. */
export function runRepositoryContract(plug: string, ctx: RepositoryContractContext): void {
  describe(`database repositories contract (${plug})`, () => {
    let sessions: SessionRepository;
    let messages: MessageRepository;
    let batches: MessageBatchRepository;

    beforeEach(({ skip }) => {
      skip(!ctx.available(), `${plug} is unavailable`);
      sessions = new SessionRepository(ctx.orm());
      messages = new MessageRepository(ctx.orm());
      batches = new MessageBatchRepository(ctx.orm(), messages);
    });

    const newSession = (desiredState: 'running' | 'stopped' = 'running') =>
      sessions.create({ name: uniqueName('s'), engine: 'simulator', desiredState, config: { webhook: 'x' } });

    const outgoing = (sessionId: string, extra: Partial<Parameters<MessageRepository['insertPending']>[0]> = {}) =>
      messages.insertPending({ sessionId, chatId: 'chat-1', from: 'me', to: 'chat-1', type: 'text', body: 'hi', ...extra });

    describe('sessions', () => {
      it('creates, reads, lists, updates and deletes a session', async () => {
        const created = await newSession('stopped');
        expect(created).toMatchObject({ status: 'created', desiredState: 'stopped', engine: 'simulator', leaseGeneration: 0 });
        expect(created.createdAt).toBeInstanceOf(Date);

        const byId = await sessions.get(created.id);
        expect(byId).toMatchObject({ id: created.id, name: created.name, config: { webhook: 'x' } });
        expect(byId?.createdAt).toBeInstanceOf(Date);
        expect((await sessions.getByName(created.name))?.id).toBe(created.id);
        expect((await sessions.list()).map((s) => s.id)).toContain(created.id);

        const connectedAt = new Date('2025-01-02T03:04:05.678Z');
        const updated = await sessions.update(created.id, { status: 'ready', phone: '4912345', connectedAt, config: { a: 1 } });
        expect(updated).toMatchObject({ status: 'ready', phone: '4912345', config: { a: 1 } });
        expect(updated.connectedAt?.toISOString()).toBe(connectedAt.toISOString());
        expect((await sessions.list({ status: 'ready' })).map((s) => s.id)).toContain(created.id);

        expect(await sessions.delete(created.id)).toBe(true);
        expect(await sessions.get(created.id)).toBeNull();
        expect(await sessions.delete(created.id)).toBe(false);
        await expect(sessions.update(created.id, { status: 'failed' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
      });

      it('refuses a second session with the same name with CONFLICT', async () => {
        const first = await newSession();
        const error = await sessions.create({ name: first.name, engine: 'simulator' }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DatabaseError);
        expect(error).toMatchObject({ code: ErrorCode.Conflict });
        const other = await newSession();
        await expect(sessions.update(other.id, { name: first.name })).rejects.toMatchObject({ code: ErrorCode.Conflict });
      });

      it('deleting a session deletes its messages and batches', async () => {
        const session = await newSession();
        const { message } = await outgoing(session.id);
        const batch = await batches.create({ sessionId: session.id, total: 1, delayMs: 0 });
        await sessions.delete(session.id);
        expect(await messages.get(message.id)).toBeNull();
        expect(await batches.get(batch.id)).toBeNull();
      });
    });

    describe('leases', () => {
      it('claims a free lease, renews and releases it, bumping the generation on each claim', async () => {
        const session = await newSession();
        const now = new Date();
        const generation = await sessions.claim(session.id, 'worker-a', 10_000, now);
        expect(generation).toBe(1);
        expect(await sessions.claim(session.id, 'worker-b', 10_000, now)).toBeNull();
        expect(await sessions.renew(session.id, 'worker-a', 1, 10_000)).toBe(true);
        expect(await sessions.renew(session.id, 'worker-b', 1, 10_000)).toBe(false);
        expect(await sessions.renew(session.id, 'worker-a', 0, 10_000)).toBe(false);
        expect((await sessions.listOwnedBy('worker-a')).map((s) => s.id)).toContain(session.id);

        // Re-claiming one's own lease is allowed and still bumps the generation.
        expect(await sessions.claim(session.id, 'worker-a', 10_000)).toBe(2);
        expect(await sessions.release(session.id, 'worker-a', 1)).toBe(false);
        expect(await sessions.release(session.id, 'worker-a', 2)).toBe(true);
        const released = await sessions.get(session.id);
        expect(released).toMatchObject({ leaseOwner: null, leaseExpiresAt: null, leaseGeneration: 2 });
        expect(await sessions.claim(session.id, 'worker-b', 10_000)).toBe(3);
      });

      it('lets another worker take over an expired lease, and fences the old owner out', async () => {
        const session = await newSession();
        const t0 = new Date();
        const old = await sessions.claim(session.id, 'worker-a', 1_000, t0);
        expect(old).toBe(1);
        expect(await sessions.claim(session.id, 'worker-b', 1_000, new Date(t0.getTime() + 500))).toBeNull();
        const later = new Date(t0.getTime() + 5_000);
        expect((await sessions.listClaimable(later, 1_000)).map((s) => s.id)).toContain(session.id);
        expect((await sessions.listClaimable(t0, 1_000)).map((s) => s.id)).not.toContain(session.id);
        const fresh = await sessions.claim(session.id, 'worker-b', 1_000, later);
        expect(fresh).toBe(2);

        expect(await sessions.updateIfOwner(session.id, old!, { status: 'failed', lastError: 'stale' })).toBe(false);
        expect(await sessions.renew(session.id, 'worker-a', old!, 1_000)).toBe(false);
        expect(await sessions.release(session.id, 'worker-a', old!)).toBe(false);
        expect(await sessions.updateIfOwner(session.id, fresh!, { status: 'ready', pushName: 'B' })).toBe(true);
        expect(await sessions.get(session.id)).toMatchObject({ status: 'ready', pushName: 'B', leaseOwner: 'worker-b' });

        await sessions.release(session.id, 'worker-b', fresh!);
        expect(await sessions.updateIfOwner(session.id, fresh!, { status: 'failed' })).toBe(false);
      });

      it('only lists sessions that should run as claimable', async () => {
        const stopped = await newSession('stopped');
        const running = await newSession('running');
        const ids = (await sessions.listClaimable(new Date(), 10_000)).map((s) => s.id);
        expect(ids).toContain(running.id);
        expect(ids).not.toContain(stopped.id);
      });

      it('gives a lease to exactly one of two truly concurrent claimers (two ORM instances)', async () => {
        const other = new SessionRepository(ctx.other());
        for (let round = 0; round < 10; round++) {
          const session = await newSession();
          const [a, b] = await Promise.all([
            sessions.claim(session.id, 'worker-a', 10_000),
            other.claim(session.id, 'worker-b', 10_000),
          ]);
          expect([a, b].filter((g) => g !== null)).toEqual([1]);
          const owner = (await sessions.get(session.id))?.leaseOwner;
          expect(owner).toBe(a !== null ? 'worker-a' : 'worker-b');
        }
      });
    });

    describe('messages', () => {
      it('returns the same row for the same idempotency key, also under concurrent inserts', async () => {
        const session = await newSession();
        const first = await outgoing(session.id, { idempotencyKey: 'key-1', payload: { caption: 'c' } });
        expect(first.created).toBe(true);
        expect(first.message).toMatchObject({ status: 'pending', direction: 'outgoing', payload: { caption: 'c' } });
        expect(first.message.timeline.map((t) => t.status)).toEqual(['pending']);
        const again = await outgoing(session.id, { idempotencyKey: 'key-1' });
        expect(again).toMatchObject({ created: false });
        expect(again.message.id).toBe(first.message.id);

        const other = new MessageRepository(ctx.other());
        const [x, y] = await Promise.all([
          outgoing(session.id, { idempotencyKey: 'key-2' }),
          other.insertPending({ sessionId: session.id, chatId: 'chat-1', from: 'me', to: 'chat-1', type: 'text', idempotencyKey: 'key-2' }),
        ]);
        expect(x.message.id).toBe(y.message.id);
        expect([x.created, y.created].sort()).toEqual([false, true]);

        // The key is unique per session, not globally.
        const elsewhere = await newSession();
        expect((await outgoing(elsewhere.id, { idempotencyKey: 'key-1' })).created).toBe(true);
      });

      it('inserts two concurrent batches sharing their keys in opposite orders without a deadlock, one row per key', async () => {
        const session = await newSession();
        const other = new MessageRepository(ctx.other());
        const keys = Array.from({ length: 100 }, (_, i) => `crossed-${i}`);
        const send = (repository: MessageRepository, key: string) =>
          repository.insertPending({ sessionId: session.id, chatId: 'chat-1', from: 'me', to: 'chat-1', type: 'text', idempotencyKey: key });
        for (let round = 0; round < 3; round++) {
          const roundKeys = keys.map((key) => `${key}-${round}`);
          const [forward, backward] = await Promise.all([
            Promise.all(roundKeys.map((key) => send(messages, key))),
            Promise.all([...roundKeys].reverse().map((key) => send(other, key))),
          ]);
          backward.reverse();
          expect(forward.map((result) => result.message.id)).toEqual(backward.map((result) => result.message.id));
          expect(forward.filter((r) => r.created).length + backward.filter((r) => r.created).length).toBe(roundKeys.length);
        }
      });

      it('records an incoming message once per WhatsApp id', async () => {
        const session = await newSession();
        const input = { sessionId: session.id, waMessageId: 'wa-1', chatId: 'c', from: 'c', to: 'me', type: 'text' as const, body: 'yo' };
        const first = await messages.recordIncoming(input);
        const again = await messages.recordIncoming(input);
        expect(first.created).toBe(true);
        expect(again).toMatchObject({ created: false, message: { id: first.message.id, direction: 'incoming' } });
        expect((await messages.findByWaMessageId(session.id, 'wa-1'))?.id).toBe(first.message.id);
      });

      it('moves a send forward only: pending → sending (fenced) → sent → delivered → read, never back', async () => {
        const session = await newSession();
        const generation = (await sessions.claim(session.id, 'worker-a', 10_000))!;
        const { message } = await outgoing(session.id);

        await expect(messages.transition(message.id, 'sending')).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
        expect(await messages.transition(message.id, 'sent')).toMatchObject({ applied: false, reason: 'invalid_transition' });
        expect(await messages.transition(message.id, 'sending', { generation: generation + 7 })).toMatchObject({
          applied: false,
          reason: 'fenced',
        });
        expect((await messages.get(message.id))?.status).toBe('pending');

        const sending = await messages.transition(message.id, 'sending', { generation });
        expect(sending).toMatchObject({ applied: true, message: { status: 'sending', leaseGeneration: generation } });
        expect((await messages.listSendingForSession(session.id)).map((m) => m.id)).toEqual([message.id]);
        expect(await messages.transition(message.id, 'sent', { waMessageId: 'wa-out-1' })).toMatchObject({ applied: true });
        expect(await messages.transition(message.id, 'read')).toMatchObject({ applied: true });
        expect(await messages.transition(message.id, 'delivered')).toMatchObject({ applied: false, reason: 'invalid_transition' });
        expect(await messages.transition(message.id, 'sent')).toMatchObject({ applied: false, reason: 'invalid_transition' });
        expect(await messages.transition(message.id, 'failed')).toMatchObject({ applied: false, reason: 'invalid_transition' });

        const stored = (await messages.get(message.id))!;
        expect(stored).toMatchObject({ status: 'read', waMessageId: 'wa-out-1' });
        expect(stored.timeline.map((t) => t.status)).toEqual(['pending', 'sending', 'sent', 'read']);
        expect(stored.sentAt).toBeInstanceOf(Date);
        expect(stored.deliveredAt).toBeInstanceOf(Date);
        expect(stored.readAt).toBeInstanceOf(Date);
        expect(await messages.transition('no-such-id', 'sent')).toMatchObject({ applied: false, reason: 'not_found' });
      });

      it('refuses to start a send for a worker that lost the lease, and lets the new owner take over a stuck send', async () => {
        const session = await newSession();
        const old = (await sessions.claim(session.id, 'worker-a', 1_000))!;
        const { message } = await outgoing(session.id);
        const { message: second } = await outgoing(session.id);
        expect((await messages.transition(message.id, 'sending', { generation: old })).applied).toBe(true);
        const fresh = (await sessions.claim(session.id, 'worker-b', 1_000, new Date(Date.now() + 60_000)))!;

        expect(await messages.transition(second.id, 'sending', { generation: old })).toMatchObject({ applied: false, reason: 'fenced' });
        expect((await messages.listPendingForSession(session.id)).map((m) => m.id)).toEqual([second.id]);
        // The takeover reconciled the stuck send as not sent, and resends it under its generation.
        expect(await messages.transition(message.id, 'sending', { generation: old })).toMatchObject({ applied: false });
        expect(await messages.transition(message.id, 'sending', { generation: fresh })).toMatchObject({ applied: true });
        expect(await messages.transition(message.id, 'failed', { failureReason: 'unknown_outcome' })).toMatchObject({
          applied: true,
          message: { status: 'failed', failureReason: 'unknown_outcome' },
        });
      });

      it('fails a sent message WhatsApp refused afterwards, by WhatsApp id and only from sent', async () => {
        const session = await newSession();
        const generation = (await sessions.claim(session.id, 'worker-a', 10_000))!;
        const { message } = await outgoing(session.id);
        expect(await messages.markRefused(session.id, 'wa-refused', 'error ack')).toMatchObject({ applied: false, reason: 'not_found' });
        await messages.transition(message.id, 'sending', { generation });
        await messages.transition(message.id, 'sent', { waMessageId: 'wa-refused' });

        const refused = await messages.markRefused(session.id, 'wa-refused', 'error ack');
        expect(refused).toMatchObject({ applied: true, message: { id: message.id, status: 'failed', failureReason: 'error ack' } });
        expect((await messages.get(message.id))!.timeline.map((t) => t.status)).toEqual(['pending', 'sending', 'sent', 'failed']);
        expect(await messages.markRefused(session.id, 'wa-refused', 'again')).toMatchObject({ applied: false, reason: 'invalid_transition' });
        expect(await messages.transition(message.id, 'read')).toMatchObject({ applied: false, reason: 'invalid_transition' });
      });

      it('settles concurrent acks forward (read wins over a late delivered)', async () => {
        const session = await newSession();
        const generation = (await sessions.claim(session.id, 'worker-a', 10_000))!;
        const { message } = await outgoing(session.id);
        await messages.transition(message.id, 'sending', { generation });
        await messages.transition(message.id, 'sent');
        const other = new MessageRepository(ctx.other());
        await Promise.all([messages.transition(message.id, 'read'), other.transition(message.id, 'delivered')]);
        const stored = (await messages.get(message.id))!;
        expect(stored.status).toBe('read');
        expect(stored.timeline.at(-1)?.status).toBe('read');
      });

      it('applies a transition exactly when canTransition allows it, for every status, generation and target', async () => {
        const session = await newSession();
        const generation = (await sessions.claim(session.id, 'worker-a', 10_000))!;
        const { message } = await outgoing(session.id);
        for (const from of MESSAGE_STATUSES) {
          for (const rowGeneration of [null, generation - 1, generation, generation + 1]) {
            for (const to of MESSAGE_STATUSES) {
              for (const asked of [undefined, generation]) {
                if (to === 'sending' && asked === undefined) continue; // refused before any SQL (tested above)
                await ctx.orm().em.fork().nativeUpdate(MessageEntity, { id: message.id }, { status: from, leaseGeneration: rowGeneration });
                const expected = canTransition({ status: from, leaseGeneration: rowGeneration }, to, asked);
                const result = await messages.transition(message.id, to, { generation: asked });
                expect({ from, rowGeneration, to, asked, applied: result.applied }).toEqual({ from, rowGeneration, to, asked, applied: expected });
                if (result.applied) expect(result.message.status).toBe(to);
              }
            }
          }
        }
      });

      it('moves an outgoing message by its WhatsApp id (an ack) in one step, and says when no row has that id', async () => {
        const session = await newSession();
        const generation = (await sessions.claim(session.id, 'worker-a', 10_000))!;
        const { message } = await outgoing(session.id);
        await messages.transition(message.id, 'sending', { generation });
        await messages.transition(message.id, 'sent', { waMessageId: 'wa-ack-1' });
        const at = new Date('2026-01-02T03:04:05.678Z');
        const delivered = await messages.transitionByWaMessageId(session.id, 'wa-ack-1', 'delivered', { at });
        expect(delivered).toMatchObject({ applied: true, message: { id: message.id, status: 'delivered' } });
        expect(delivered.message?.deliveredAt?.toISOString()).toBe(at.toISOString());
        expect(await messages.transitionByWaMessageId(session.id, 'wa-ack-1', 'delivered')).toMatchObject({
          applied: false,
          reason: 'invalid_transition',
        });
        expect(await messages.transitionByWaMessageId(session.id, 'wa-unknown', 'read')).toMatchObject({ applied: false, reason: 'not_found' });
        const other = await newSession();
        expect(await messages.transitionByWaMessageId(other.id, 'wa-ack-1', 'read')).toMatchObject({ applied: false, reason: 'not_found' });
      });

      it('moves a burst of concurrent transitions in shared statements, each row with its own values and its own answer', async () => {
        const session = await newSession();
        const generation = (await sessions.claim(session.id, 'worker-a', 10_000))!;
        const rows = await Promise.all(Array.from({ length: 30 }, () => outgoing(session.id)));
        const ids = rows.map((r) => r.message.id);

        const claims = await Promise.all([...ids, 'no-such-id'].map((id) => messages.transition(id, 'sending', { generation })));
        expect(claims.slice(0, -1).every((c) => c.applied)).toBe(true);
        expect(claims.at(-1)).toMatchObject({ applied: false, reason: 'not_found' });

        const sentAt = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, i));
        const sent = await Promise.all(ids.map((id, i) => messages.transition(id, 'sent', { waMessageId: `wa-burst-${i}`, at: sentAt(i) })));
        sent.forEach((result, i) => {
          expect(result).toMatchObject({ applied: true, message: { id: ids[i], status: 'sent', waMessageId: `wa-burst-${i}` } });
          if (result.applied) expect(result.message.sentAt?.toISOString()).toBe(sentAt(i).toISOString());
        });

        // The same ack twice in one turn: applied once, the repeat says so.
        const acks = await Promise.all([
          ...ids.map((_, i) => messages.transitionByWaMessageId(session.id, `wa-burst-${i}`, 'delivered')),
          messages.transitionByWaMessageId(session.id, 'wa-burst-0', 'delivered'),
        ]);
        expect(acks.filter((a) => a.applied)).toHaveLength(ids.length);
        expect(acks.at(-1)).toMatchObject({ applied: false, reason: 'invalid_transition' });

        for (const [i, id] of ids.entries()) {
          const stored = (await messages.get(id))!;
          expect(stored.timeline.map((t) => t.status)).toEqual(['pending', 'sending', 'sent', 'delivered']);
          expect(stored.timeline[2].at).toBe(sentAt(i).toISOString());
          expect(stored.waMessageId).toBe(`wa-burst-${i}`);
        }

        // A lost lease fences every claim of the burst.
        const more = await Promise.all(Array.from({ length: 5 }, () => outgoing(session.id)));
        await sessions.claim(session.id, 'worker-b', 1_000, new Date(Date.now() + 60_000));
        const fenced = await Promise.all(more.map((r) => messages.transition(r.message.id, 'sending', { generation })));
        expect(fenced.every((f) => !f.applied && f.reason === 'fenced')).toBe(true);
      });

      it('answers each row of a shared statement that could not move with its own reason', async () => {
        const session = await newSession();
        const generation = (await sessions.claim(session.id, 'worker-a', 10_000))!;
        const rows = await Promise.all(Array.from({ length: 4 }, () => outgoing(session.id)));
        await Promise.all(rows.map((r) => messages.transition(r.message.id, 'sending', { generation })));
        await Promise.all(rows.map((r, i) => messages.transition(r.message.id, 'sent', { waMessageId: `wa-mixed-${i}` })));
        await messages.transitionByWaMessageId(session.id, 'wa-mixed-0', 'read');

        // One turn: the engine's `sent` ack of rows already sent, a late ack, an unknown id, and one that applies.
        const [sentAgain, late, unknown, applies] = await Promise.all([
          messages.transitionByWaMessageId(session.id, 'wa-mixed-1', 'sent'),
          messages.transitionByWaMessageId(session.id, 'wa-mixed-0', 'delivered'),
          messages.transitionByWaMessageId(session.id, 'wa-mixed-9', 'delivered'),
          messages.transitionByWaMessageId(session.id, 'wa-mixed-2', 'delivered'),
        ]);
        expect(sentAgain).toMatchObject({ applied: false, reason: 'invalid_transition', message: { waMessageId: 'wa-mixed-1', status: 'sent' } });
        expect(late).toMatchObject({ applied: false, reason: 'invalid_transition', message: { waMessageId: 'wa-mixed-0', status: 'read' } });
        expect(unknown).toEqual({ applied: false, reason: 'not_found', message: null });
        expect(applies).toMatchObject({ applied: true, message: { waMessageId: 'wa-mixed-2', status: 'delivered' } });
        expect((await messages.get(rows[0].message.id))!.status).toBe('read');
        expect((await messages.get(rows[1].message.id))!.status).toBe('sent');
      });

      it('refuses a pending row for a session that does not exist with NOT_FOUND, writing nothing', async () => {
        await expect(outgoing('no-such-session')).rejects.toMatchObject({ code: ErrorCode.NotFound });
      });

      it('gives each of concurrent inserts its own row, in call order, and one row per key repeated within them', async () => {
        const session = await newSession();
        const results = await Promise.all([
          outgoing(session.id, { body: 'a' }),
          outgoing(session.id, { body: 'b', idempotencyKey: 'twice' }),
          outgoing(session.id, { body: 'c' }),
          outgoing(session.id, { body: 'd', idempotencyKey: 'twice' }),
          outgoing(session.id, { body: 'e', idempotencyKey: 'once' }),
        ]);
        expect(results.map((r) => r.created)).toEqual([true, true, true, false, true]);
        expect(results.map((r) => r.message.body)).toEqual(['a', 'b', 'c', 'b', 'e']);
        expect(results[3].message.id).toBe(results[1].message.id);
        const created = results.filter((r) => r.created).map((r) => r.message.id);
        expect(new Set(created).size).toBe(4);
        // Ids keep call order: sends accepted together are sent in that order.
        expect([...created].sort()).toEqual(created);
        expect((await messages.listPendingForSession(session.id)).map((m) => m.body)).toEqual(['a', 'b', 'c', 'e']);
      });

      it('answers a key taken by an earlier batch with that row, while the rest of the batch is inserted', async () => {
        const session = await newSession();
        const first = await outgoing(session.id, { body: 'first', idempotencyKey: 'k1' });
        const [again, fresh, otherKey] = await Promise.all([
          outgoing(session.id, { body: 'again', idempotencyKey: 'k1' }),
          outgoing(session.id, { body: 'fresh' }),
          outgoing(session.id, { body: 'k2', idempotencyKey: 'k2' }),
        ]);
        expect(again).toEqual({ created: false, message: first.message });
        expect(fresh).toMatchObject({ created: true, message: { body: 'fresh', status: 'pending' } });
        expect(otherKey).toMatchObject({ created: true, message: { body: 'k2', idempotencyKey: 'k2' } });
      });

      it("fails every insert of a failing batch with the same NOT_FOUND, and no other session's insert", async () => {
        const session = await newSession();
        const [a, b, elsewhere] = await Promise.allSettled([
          outgoing('no-such-session'),
          outgoing('no-such-session', { idempotencyKey: 'k' }),
          outgoing(session.id),
        ]);
        expect(a).toMatchObject({ status: 'rejected', reason: { code: ErrorCode.NotFound } });
        expect(b).toMatchObject({ status: 'rejected', reason: { code: ErrorCode.NotFound } });
        expect((a as PromiseRejectedResult).reason).toBeInstanceOf(DatabaseError);
        expect((b as PromiseRejectedResult).reason).toBe((a as PromiseRejectedResult).reason);
        expect(elsewhere).toMatchObject({ status: 'fulfilled', value: { created: true } });
      });
    });

    describe('history', () => {
      it('filters and pages with a keyset cursor, without duplicates or gaps', async () => {
        const session = await newSession();
        const base = Date.UTC(2025, 0, 1);
        const expected: string[] = [];
        // 25 incoming rows on two chats; pairs share a millisecond so the id tie-break matters.
        for (let i = 0; i < 25; i++) {
          const { message } = await messages.recordIncoming({
            sessionId: session.id,
            waMessageId: `wa-${i}`,
            chatId: i % 2 === 0 ? 'even' : 'odd',
            from: 'x',
            to: 'me',
            type: i % 5 === 0 ? 'image' : 'text',
            at: new Date(base + Math.floor(i / 2) * 1_000),
          });
          expected.push(message.id);
        }
        const { message: outgoingRow } = await outgoing(session.id, { chatId: 'even' });

        const seen: MessageEntity[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await messages.history(session.id, { direction: 'incoming', limit: 4, cursor });
          seen.push(...page.items);
          cursor = page.nextCursor ?? undefined;
          pages++;
        } while (cursor);
        expect(pages).toBe(7);
        expect(seen.map((m) => m.id).sort()).toEqual([...expected].sort());
        expect(new Set(seen.map((m) => m.id)).size).toBe(25);
        for (let i = 1; i < seen.length; i++) {
          const [a, b] = [seen[i - 1]!, seen[i]!];
          expect(a.createdAt.getTime() > b.createdAt.getTime() || (a.createdAt.getTime() === b.createdAt.getTime() && a.id > b.id)).toBe(true);
        }

        const even = await messages.history(session.id, { chatId: 'even', limit: 100 });
        expect(even.items).toHaveLength(14);
        expect(even.items[0]?.id).toBe(outgoingRow.id);
        expect(even.nextCursor).toBeNull();
        expect((await messages.history(session.id, { type: 'image', limit: 100 })).items).toHaveLength(5);
        expect((await messages.history(session.id, { direction: 'outgoing' })).items.map((m) => m.id)).toEqual([outgoingRow.id]);
        const window = await messages.history(session.id, {
          from: new Date(base + 2_000),
          to: new Date(base + 4_000),
          direction: 'incoming',
        });
        expect(window.items).toHaveLength(4);
        await expect(messages.history(session.id, { cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
      });
    });

    describe('simulator', () => {
      it('records a burst of sends once each, answers a resend with the first row, and fails exactly the faulted ones', async () => {
        const simulator = new SimulatorRepository(ctx.orm());
        const session = await newSession();
        const send = (n: number) => ({
          sessionId: session.id,
          clientMessageId: `m-${n}`,
          waMessageId: `wa-sim-${session.id}-${n}-${Math.random()}`,
          chatId: 'c',
          type: 'text',
          body: `#${n}`,
          payload: { n },
        });
        const first = await Promise.all(Array.from({ length: 20 }, (_, n) => simulator.acceptSend(send(n))));
        expect(first.every((r) => r !== 'failed' && r.created)).toBe(true);
        const again = await Promise.all([simulator.acceptSend(send(3)), simulator.acceptSend(send(20))]);
        expect(again[0]).toMatchObject({ created: false, message: { clientMessageId: 'm-3', body: '#3', payload: { n: 3 } } });
        expect(again[1]).toMatchObject({ created: true });

        await simulator.addSendFailures(session.id, 2);
        const faulted = await Promise.all([21, 22, 23, 3].map((n) => simulator.acceptSend(send(n))));
        expect(faulted.filter((r) => r === 'failed')).toHaveLength(2);
        expect(faulted.at(-1)).toMatchObject({ created: false }); // a resend consumes no fault
        expect((await simulator.listMessages(session.id, 'out')).length).toBe(22);

        const ids = (await simulator.listMessages(session.id, 'out')).map((m) => m.waMessageId);
        expect(await Promise.all(ids.map((id) => simulator.advanceAck(id, 'delivered')))).toEqual(ids.map(() => true));
        expect(await Promise.all([simulator.advanceAck(ids[0], 'delivered'), simulator.advanceAck(ids[1], 'read')])).toEqual([false, true]);
      });
    });

    describe('batches', () => {
      it('derives progress from its messages and completes when nothing is left', async () => {
        const session = await newSession();
        const generation = (await sessions.claim(session.id, 'worker-a', 10_000))!;
        const batch = await batches.create({ sessionId: session.id, total: 3, delayMs: 250 });
        expect(await batches.get(batch.id)).toMatchObject({ sent: 0, failed: 0, pending: 3, batch: { status: 'running' } });

        const rows = [];
        for (let i = 0; i < 3; i++) rows.push((await outgoing(session.id, { batchId: batch.id })).message);
        await messages.transition(rows[0]!.id, 'sending', { generation });
        await messages.transition(rows[0]!.id, 'sent');
        await messages.transition(rows[1]!.id, 'failed', { failureReason: 'bad number' });
        expect(await batches.get(batch.id)).toMatchObject({ sent: 1, failed: 1, pending: 1, batch: { status: 'running' } });

        await messages.transition(rows[2]!.id, 'sending', { generation });
        await messages.transition(rows[2]!.id, 'sent');
        await messages.transition(rows[2]!.id, 'delivered');
        const done = await batches.get(batch.id);
        expect(done).toMatchObject({ sent: 2, failed: 1, pending: 0, batch: { status: 'completed' } });
        expect(done?.batch.completedAt).toBeInstanceOf(Date);
      });

      it('cancels a batch: its pending messages fail, in-flight ones are left alone', async () => {
        const session = await newSession();
        const generation = (await sessions.claim(session.id, 'worker-a', 10_000))!;
        const batch = await batches.create({ sessionId: session.id, total: 4, delayMs: 0 });
        const rows = [];
        for (let i = 0; i < 3; i++) rows.push((await outgoing(session.id, { batchId: batch.id })).message);
        await messages.transition(rows[0]!.id, 'sending', { generation });

        const cancelled = await batches.cancel(batch.id);
        expect(cancelled).toMatchObject({ failed: 2, sent: 0, pending: 2, batch: { status: 'cancelled' } });
        expect((await messages.get(rows[1]!.id))?.failureReason).toBe('batch_cancelled');
        expect((await messages.get(rows[0]!.id))?.status).toBe('sending');
        expect(await batches.cancel('missing')).toBeNull();
      });
    });
  });
}
