import { parseEventStreamQuery, subjectFilter } from './event-stream-query';

describe('parseEventStreamQuery', () => {
  it('takes sessionId repeated or as a comma list, types as a comma list, and the resume point', () => {
    const query = parseEventStreamQuery({ sessionId: ['a', 'b,c'], types: 'message.sent, message.ack' }, '41');
    expect([...query.sessionIds!]).toEqual(['a', 'b', 'c']);
    expect([...query.types!]).toEqual(['message.sent', 'message.ack']);
    expect(query.lastEventId).toBe(41);
  });

  it('takes lastEventId from the query when no header is sent', () => {
    expect(parseEventStreamQuery({ lastEventId: '7' }, undefined)).toEqual({ lastEventId: 7 });
    expect(parseEventStreamQuery({}, undefined)).toEqual({});
  });

  it.each([
    ['an unknown type', { types: 'message.sent,message.exploded' }, undefined],
    ['a bad session id', { sessionId: 'a.b' }, undefined],
    ['a bad Last-Event-ID', {}, 'abc'],
    ['an unknown parameter', { session: 'a' }, undefined],
  ])('refuses %s with 400', (_name, query, header) => {
    expect(() => parseEventStreamQuery(query, header)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});

describe('subjectFilter', () => {
  it('narrows the subscription as far as one subject filter can', () => {
    expect(subjectFilter({})).toBe('wa.events.>');
    expect(subjectFilter({ sessionIds: new Set(['s1']) })).toBe('wa.events.s1.>');
    expect(subjectFilter({ sessionIds: new Set(['s1']), types: new Set(['message.sent'] as const) })).toBe('wa.events.s1.message.sent');
    expect(subjectFilter({ types: new Set(['message.sent'] as const) })).toBe('wa.events.*.message.sent');
    expect(subjectFilter({ sessionIds: new Set(['s1', 's2']), types: new Set(['message.sent', 'message.ack'] as const) })).toBe('wa.events.>');
  });
});
