import type { MessageStatus, MessageTimelineEntry } from '../entities/message.entity';

// Forward order of a successful send; `failed` sits outside it and ends the line.
const RANK: Record<Exclude<MessageStatus, 'failed'>, number> = { pending: 0, sending: 1, sent: 2, delivered: 3, read: 4 };

export interface TransitionSubject {
  status: MessageStatus;
  leaseGeneration?: number | null;
}

/**
 * Whether a message in `current` may move to `to`. Acks only move forward (a late
 * `delivered` after `read` is ignored); `sending` needs a lease generation and may be taken
 * again only by a newer generation (a takeover resending after reconciliation); `failed`
 * ends pending or in-flight messages only. `sending` goes back to `pending` only by the
 * generation that took it, after the engine definitely refused the send (a retry): any
 * other worker could not know that no send is on its way, and must reconcile instead.
 */
export function canTransition(current: TransitionSubject, to: MessageStatus, generation?: number): boolean {
  const from = current.status;
  if (from === 'failed') return false;
  if (to === 'failed') return from === 'pending' || from === 'sending';
  if (to === 'pending') {
    return from === 'sending' && generation !== undefined && generation === current.leaseGeneration;
  }
  if (to === 'sending') {
    if (generation === undefined) return false;
    if (from === 'pending') return true;
    return from === 'sending' && generation > (current.leaseGeneration ?? -1);
  }
  return from !== 'pending' && RANK[to] > RANK[from];
}

/** How often the engine was tried for a message, as its timeline shows: every try took it to `sending` once. */
export function sendTries(message: { timeline: readonly MessageTimelineEntry[] }): number {
  return message.timeline.filter((step) => step.status === 'sending').length;
}
