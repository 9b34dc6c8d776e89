import { SubjectMap } from '../subjects';

describe('simulator subjects', () => {
  const inbound = SubjectMap['wa.session.simulator.inbound'].request;

  it('accepts an inbound text and an inbound image with base64 bytes', () => {
    expect(inbound.safeParse({ sessionId: 's1', from: '15551112222@c.us', type: 'text', body: 'hi' }).success).toBe(true);
    const image = { sessionId: 's1', from: '15551112222@c.us', type: 'image', media: { mimeType: 'image/png', dataBase64: 'AAEC' } };
    expect(inbound.safeParse(image).success).toBe(true);
  });

  it('asks for what each type needs', () => {
    const issues = (input: unknown) => inbound.safeParse(input).error?.issues.map((issue) => issue.path.join('.'));
    expect(issues({ sessionId: 's1', from: 'x@c.us', type: 'image' })).toEqual(['media']);
    expect(issues({ sessionId: 's1', from: 'x@c.us', type: 'location' })).toEqual(['location']);
    expect(issues({ sessionId: 's1', from: 'x@c.us', type: 'text' })).toEqual(['body']);
    expect(issues({ sessionId: 'bad.id', from: 'x@c.us', type: 'text', body: 'x' })).toEqual(['sessionId']);
  });

  it('bounds fault counts', () => {
    const fault = SubjectMap['wa.session.simulator.fault'].request;
    expect(fault.safeParse({ sessionId: 's1', kind: 'send_failure', count: 3 }).success).toBe(true);
    expect(fault.safeParse({ sessionId: 's1', kind: 'send_failure', count: 0 }).success).toBe(false);
    expect(fault.safeParse({ sessionId: 's1', kind: 'explode' }).success).toBe(false);
  });
});
