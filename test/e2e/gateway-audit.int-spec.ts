import { type EmbeddedStack, call, startEmbeddedStack } from './support/embedded-stack';

// Embedded plugs only (SQLite, in-process bus): nothing to skip for.
describe('gateway: audit of session changes', () => {
  let stack: EmbeddedStack;

  beforeAll(async () => {
    stack = await startEmbeddedStack();
  }, 60_000);

  afterAll(() => stack?.close());

  it('creating and deleting a session leaves session.created and session.deleted in GET /api/audit', async () => {
    const created = await call(stack, 'POST', '/api/sessions', { name: 'audited' });
    expect(created.status).toBe(201);
    expect((await call(stack, 'DELETE', `/api/sessions/${created.body.id}`)).status).toBe(200);

    const { status, body } = await call(stack, 'GET', '/api/audit');
    expect(status).toBe(200);
    const rows = (body.items as Array<{ action: string; target: string; actorName: string | null }>).filter((row) => row.target === created.body.id);
    expect(rows.map((row) => row.action)).toEqual(['session.deleted', 'session.created']);
    expect(rows.every((row) => row.actorName?.startsWith('master key'))).toBe(true);
  }, 30_000);
});
