import type { SendStack } from './send-stack';

/** A chat id of the test traffic: one simulated contact per index. */
export const chatOf = (chat: number): string => `1555${String(chat).padStart(7, '0')}@c.us`;

/** The text of a chat's n-th message, so the engine side can tell the order back. */
export const textOf = (chat: number, n: number): string => `chat ${chat} message ${n}`;

/** Reads the n back out of `textOf`. */
export const indexOf = (text: string): number => Number(/message (\d+)$/.exec(text)?.[1] ?? NaN);

export interface Traffic {
  chats: number;
  perChat: number;
  clients: number;
  /** Send each request `copies` times at once with one Idempotency-Key (1: no key). */
  copies?: number;
}

export interface Accepted {
  /** Message ids per chat, in request order. */
  idsByChat: string[][];
  /** Every reply, per request: the `copies` bodies side by side. */
  replies: { status: number; body: { id: string; status: string } }[][];
}

/**
 * `chats × perChat` messages over HTTP from `clients` concurrent clients. Each chat belongs to
 * one client, which sends its chats' messages in order and waits for each reply before the
 * next: the request order per chat is well defined.
 */
export async function sendTraffic(stack: SendStack, sessionId: string, traffic: Traffic, keyPrefix = ''): Promise<Accepted> {
  const copies = traffic.copies ?? 1;
  const idsByChat: string[][] = Array.from({ length: traffic.chats }, () => []);
  const replies: Accepted['replies'] = [];
  const client = async (clientIndex: number) => {
    const chats = Array.from({ length: traffic.chats }, (_, c) => c).filter((c) => c % traffic.clients === clientIndex);
    for (let n = 0; n < traffic.perChat; n++) {
      for (const chat of chats) {
        const headers: Record<string, string> = copies > 1 ? { 'idempotency-key': `${keyPrefix}${chat}-${n}` } : {};
        const body = { to: chatOf(chat), type: 'text', text: textOf(chat, n) };
        const answers = await Promise.all(
          Array.from({ length: copies }, () => stack.http<{ id: string; status: string }>('POST', `/api/sessions/${sessionId}/messages`, body, headers)),
        );
        replies.push(answers);
        idsByChat[chat].push(answers[0].body?.id);
      }
    }
  };
  await Promise.all(Array.from({ length: traffic.clients }, (_, i) => client(i)));
  return { idsByChat, replies };
}
