import { SCHEMA_VERSION } from '@plugboard/database';
import { uniqueName, waitFor } from '@plugboard/testing';
import { buildWhenReachable } from './support/build';
import { listSessions, startLeaseStack, waitSpread, waitTakenOver } from './support/lease-stack';
import { plugboard } from './support/plugboard-cli';
import type { ProcessStack } from './support/process-stack';
import { call } from './support/sessions-http';

const TTL_MS = 3_000;
const SESSIONS = 6;

// Two session-workers share 6 sessions; draining one hands all of its sessions to the other.
describe('draining a session-worker (NATS + PostgreSQL, separate processes)', () => {
  let reachable = false;
  let stack: ProcessStack | undefined;
  const tag = uniqueName('pbdrain').replace(/-/g, '_');

  const http = (method: string, path: string, body?: unknown) => call(stack!.base, stack!.key, method, path, body === undefined ? {} : { body });
  const list = () => listSessions(stack!);

  beforeAll(async () => {
    reachable = await buildWhenReachable('NATS', 'PostgreSQL');
    if (!reachable) return;
    stack = await startLeaseStack({ tag, database: 'pb_drain_test', ttlMs: TTL_MS });
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('moves every session of the drained worker to the other, which then gets every new one too', async ({ skip }) => {
    skip(!reachable, 'NATS or PostgreSQL unreachable');
    for (let i = 0; i < SESSIONS; i++) expect((await http('POST', '/api/sessions', { name: `drain-${i}` })).status).toBe(201);
    const { counts, busiest: drained, other: survivor, ofBusiest: moved } = await waitSpread(stack!, SESSIONS);
    console.log(`drain: sessions per worker before the drain: ${JSON.stringify(counts)}`);

    const outputBefore = stack!.workers.get(drained)!.output().length;
    const reply = await http('POST', '/api/infra/drain', { instance: drained });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body).toEqual({ instanceId: drained, released: moved.length });

    await waitTakenOver(stack!, moved, { from: drained, to: survivor, timeoutMs: 6 * TTL_MS, intervalMs: 100 });

    // New sessions, and a stopped one started again, all land on the survivor.
    for (let i = 0; i < 2; i++) expect((await http('POST', '/api/sessions', { name: `after-drain-${i}` })).status).toBe(201);
    expect((await http('POST', `/api/sessions/${moved[0]}/stop`)).status).toBe(200);
    expect((await http('POST', `/api/sessions/${moved[0]}/start`)).status).toBeLessThan(300);
    await waitFor(
      `all ${SESSIONS + 2} sessions ready on ${survivor}`,
      async () => {
        const sessions = await list();
        return sessions.length === SESSIONS + 2 && sessions.every((s) => s.status === 'ready' && s.owner === survivor);
      },
      { timeoutMs: 6 * TTL_MS, intervalMs: 100 },
    );
    // Give the drained worker a full lease period in which a sweep would have claimed something.
    await new Promise((resolve) => setTimeout(resolve, TTL_MS));
    expect((await list()).every((s) => s.owner === survivor)).toBe(true);
    const afterDrain = stack!.workers.get(drained)!.output().slice(outputBefore);
    expect(afterDrain).not.toMatch(/claimed session/);
    expect(stack!.workers.get(drained)!.child.exitCode).toBeNull();

    const audit = await http('GET', '/api/audit?action=infra.drain');
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({ target: drained, details: { released: moved.length } });
  }, 120_000);

  it('answers 404 with a code for an instance nobody runs, through the route and the CLI', async ({ skip }) => {
    skip(!reachable, 'NATS or PostgreSQL unreachable');
    const reply = await http('POST', '/api/infra/drain', { instance: 'worker-z' });
    expect(reply.status).toBe(404);
    expect(reply.body.error.code).toBe('NOT_FOUND');
    const cli = await plugboard(['drain', 'worker-z', '--url', stack!.base, '--key', stack!.key], {});
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('NOT_FOUND');
  });

  it('`plugboard migrate` on PostgreSQL: infra-admin migrated at boot, so nothing is pending', async ({ skip }) => {
    skip(!reachable, 'NATS or PostgreSQL unreachable');
    const reply = await http('POST', '/api/infra/migrate');
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body).toEqual({ databaseType: 'postgres', schemaVersion: SCHEMA_VERSION, applied: [] });
    const cli = await plugboard(['migrate', '--url', stack!.base, '--key', stack!.key], {});
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout.trim()).toBe(`postgres: schema version ${SCHEMA_VERSION}; nothing to apply`);
  });
});
