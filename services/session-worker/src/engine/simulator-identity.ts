import { createHash, randomBytes } from 'node:crypto';

/** How the simulator names itself in logs and health, so nobody mistakes it for WhatsApp. */
export const SIMULATOR_LABEL = 'simulator — not WhatsApp';

export const SIMULATOR_PUSH_NAME = 'Simulator';

/** The simulated phone number of a session: `1555000` and four digits derived from the session id, so it is stable. */
export function simulatorPhone(sessionId: string): string {
  const digits = createHash('sha256').update(sessionId).digest().readUInt32BE(0) % 10_000;
  return `1555000${String(digits).padStart(4, '0')}`;
}

/** The `n`-th QR code of a session: recognisable, and never the same twice. */
export function simulatorQr(sessionId: string, n: number): string {
  return `SIMULATOR-QR:${sessionId}:${n}:${randomBytes(6).toString('hex')}`;
}

/** A WhatsApp-like message id that says where it came from. */
export function simulatorMessageId(): string {
  return `SIM.${randomBytes(10).toString('hex').toUpperCase()}`;
}

/** The chat id of a phone number. */
export function userChatId(phone: string): string {
  return `${phone}@c.us`;
}
