import { freePort, uniqueName, waitFor } from '@plugboard/testing';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CHROMIUM_PATH, chromiumArgs } from './chromium-executable';
import type { EngineEvent } from './engine.port';
import { WhatsappWebJsEngineAdapter } from './whatsapp-web-js-engine.adapter';

const DEFAULT_ARGS =
  '--no-sandbox --headless=new --disable-gpu --disable-dev-shm-usage --disable-background-networking --disable-component-update --disable-sync --no-first-run';
/**
 * Every request of the browser goes to a proxy on a free loopback port, where nobody listens:
 * WhatsApp Web is unreachable by construction on any machine, and nothing leaves this host (a
 * proxied browser does not even resolve web.whatsapp.com; `<-loopback>` proxies loopback too).
 */
async function offlineArgs(): Promise<string> {
  return `${DEFAULT_ARGS} --proxy-server=http://127.0.0.1:${await freePort()} --proxy-bypass-list=<-loopback>`;
}
// Chromium starts slowly on a busy two-core machine; the failure itself comes within seconds once it runs.
const BROWSER_TEST_TIMEOUT_MS = 90_000;
const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** Processes whose command line mentions `marker` (our unique data folder): the browsers this test started. */
function processesMentioning(marker: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

function chromiumPresent(): boolean {
  const present = existsSync(DEFAULT_CHROMIUM_PATH);
  if (!present && process.env.CI === 'true') {
    throw new Error(`Chromium is missing at ${DEFAULT_CHROMIUM_PATH}, and CI=true forbids skipping the browser suite`);
  }
  return present;
}

describe('whatsapp-web.js engine (real Chromium)', () => {
  const dirs: string[] = [];
  const adapters: WhatsappWebJsEngineAdapter[] = [];
  afterAll(async () => {
    await Promise.all(adapters.map((adapter) => adapter.close()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function engine(executablePath: string) {
    const dataPath = mkdtempSync(join(tmpdir(), 'plugboard-wwebjs-'));
    dirs.push(dataPath);
    const adapter = new WhatsappWebJsEngineAdapter({ executablePath, args: chromiumArgs(await offlineArgs()), dataPath }, silent);
    adapters.push(adapter);
    return { adapter, dataPath };
  }

  function start(adapter: WhatsappWebJsEngineAdapter) {
    const session = adapter.createSession({ sessionId: uniqueName('wwebjs').replace(/[^A-Za-z0-9_-]/g, '_'), config: {} });
    const events: EngineEvent[] = [];
    session.onEvent((event) => events.push(event));
    const failed = () =>
      waitFor('a "failed" event', () => events.find((e): e is Extract<EngineEvent, { type: 'failed' }> => e.type === 'failed'), {
        timeoutMs: 60_000,
      });
    return { session, events, failed };
  }

  it('fails with a readable reason when WhatsApp Web is unreachable, and leaves no Chromium behind', async ({ skip }) => {
    skip(!chromiumPresent(), `Chromium is not installed at ${DEFAULT_CHROMIUM_PATH}`);
    const { adapter, dataPath } = await engine(DEFAULT_CHROMIUM_PATH);
    expect(await adapter.health()).toMatchObject({ plug: 'whatsapp-web.js', status: 'up' });
    expect(processesMentioning(dataPath)).toEqual([]);

    const { session, events, failed } = start(adapter);
    // Watch the browser appear, so the "none left" check below is known to see it.
    let seen = 0;
    const watcher = setInterval(() => (seen = Math.max(seen, processesMentioning(dataPath).length)), 200);
    await session.initialize();
    const event = await failed().finally(() => clearInterval(watcher));
    expect(seen).toBeGreaterThan(0);
    // The proxy refused: proof the browser went nowhere else.
    expect(event.reason).toBe('WhatsApp Web (web.whatsapp.com) could not be reached: net::ERR_PROXY_CONNECTION_FAILED');
    expect(events.filter((e) => e.type === 'failed')).toHaveLength(1);
    await waitFor('Chromium to exit', () => processesMentioning(dataPath).length === 0, { timeoutMs: 15_000 });

    await session.destroy();
    await session.destroy();
  }, BROWSER_TEST_TIMEOUT_MS);

  it('closes a browser that is still launching when destroyed', async ({ skip }) => {
    skip(!chromiumPresent(), `Chromium is not installed at ${DEFAULT_CHROMIUM_PATH}`);
    const { adapter, dataPath } = await engine(DEFAULT_CHROMIUM_PATH);
    const { session, events } = start(adapter);
    await session.initialize();
    await session.destroy();
    expect(events).toEqual([]);
    await waitFor('Chromium to exit', () => processesMentioning(dataPath).length === 0, { timeoutMs: 15_000 });
  }, BROWSER_TEST_TIMEOUT_MS);

  it('fails with the "not found" reason when the executable is missing, and reports down', async () => {
    const missing = join(tmpdir(), uniqueName('no-chromium'), 'chromium');
    const { adapter } = await engine(missing);
    const reason = `Chromium not found at ${missing}: install chromium or set PUPPETEER_EXECUTABLE_PATH`;
    expect(await adapter.health()).toEqual({ socket: 'engine', plug: 'whatsapp-web.js', status: 'down', detail: reason });

    const { session, failed } = start(adapter);
    await session.initialize();
    expect((await failed()).reason).toBe(reason);
    await expect(session.send({ clientMessageId: 'c1', to: '1@c.us', type: 'text', text: 'x' })).rejects.toMatchObject({
      code: 'SEND_FAILED',
    });
    expect(await session.findSent('c1', '1@c.us')).toMatchObject({ found: 'unknown' });
    await session.destroy();
  });
});
