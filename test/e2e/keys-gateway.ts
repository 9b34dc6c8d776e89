import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@plugboard/config';
import { GatewayModule } from '@plugboard/gateway';
import { type ServiceHandle, bootstrapService, createServiceLogger } from '@plugboard/service-kit';
import { freePort } from '@plugboard/testing';

export const MASTER_KEY = 'pb_test-master-key-of-enough-length';

export interface TestGateway {
  handle: ServiceHandle;
  base: string;
  /** fetch against the gateway; JSON bodies are serialised unless a string is given. */
  call(method: string, path: string, options?: { key?: string; body?: unknown; headers?: Record<string, string> }): Promise<{
    status: number;
    headers: Headers;
    body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
    text: string;
  }>;
}

/** The gateway alone, in this process, on a free port, with its own SQLite file and in-process bus. */
export async function startTestGateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const cwd = mkdtempSync(join(tmpdir(), 'pb-keys-'));
  const port = await freePort();
  const config = loadConfig({
    env: { LOG_LEVEL: 'error', HOST: '127.0.0.1', PORT: String(port), DATA_DIR: join(cwd, 'data'), API_MASTER_KEY: MASTER_KEY, ...env },
    cwd,
  });
  const handle = await bootstrapService({ service: 'gateway', module: GatewayModule, config, listen: true, logger: createServiceLogger('gateway', 'error') });
  const base = handle.url as string;
  return {
    handle,
    base,
    call: async (method, path, { key, body, headers = {} } = {}) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(key ? { 'x-api-key': key } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: response.status, headers: response.headers, body: parsed, text };
    },
  };
}
