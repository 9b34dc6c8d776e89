import { ErrorCode } from '@plugboard/contracts';
import { decodeMessageCursor, encodeMessageCursor } from './message-cursor';

describe('message cursor', () => {
  it('round-trips and is URL-safe', () => {
    const cursor = { createdAt: new Date('2025-03-04T05:06:07.089Z'), id: 'a/b+c' };
    const raw = encodeMessageCursor(cursor);
    expect(raw).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeMessageCursor(raw)).toEqual(cursor);
  });

  it.each(['', 'not-json', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('[1.5,"x"]').toString('base64url')])(
    'rejects %j with VALIDATION_FAILED',
    (raw) => {
      expect(() => decodeMessageCursor(raw)).toThrow(expect.objectContaining({ code: ErrorCode.ValidationFailed }));
    },
  );
});
