import { Injectable } from '@nestjs/common';

/**
 * Per session, the spans during which an ack can overtake the row it moves: an engine send
 * until its row says `sent` with the WhatsApp id, and a new send loop until it has reconciled
 * what an older owner left `sending`. An ack that finds no row outside such a span is for a
 * message sent from the phone (or another client): no row of ours will ever carry its id, so
 * nothing is worth waiting for.
 */
@Injectable()
export class SendsInFlight {
  private readonly open = new Map<string, number>();

  /** Opens a span for `sessionId`; the returned function closes it (once, however often it is called). */
  begin(sessionId: string): () => void {
    this.open.set(sessionId, (this.open.get(sessionId) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.open.get(sessionId) ?? 1) - 1;
      if (left > 0) this.open.set(sessionId, left);
      else this.open.delete(sessionId);
    };
  }

  /** Whether a span of `sessionId` is open now. */
  any(sessionId: string): boolean {
    return this.open.has(sessionId);
  }
}
