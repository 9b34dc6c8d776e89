import { GatewayModule } from '@plugboard/gateway';
import { SessionWorkerModule } from '@plugboard/session-worker';
import { type InProcessStack, startInProcessStack } from './in-process-stack';
import { type HttpReply, call as callWithKey } from './sessions-http';

/** The admin key of every embedded test stack. */
export const STACK_KEY = 'pb_test-embedded-stack-master-key';

export type EmbeddedStack = InProcessStack;

/**
 * Gateway and session-worker in this process as `npm start` runs them (in-process bus and
 * queue, SQLite in a temp dir, simulator engine) on a free port; `env` overrides.
 */
export function startEmbeddedStack(env: Record<string, string> = {}): Promise<EmbeddedStack> {
  return startInProcessStack(
    'embedded-stack',
    [
      { service: 'gateway', module: GatewayModule },
      { service: 'session-worker', module: SessionWorkerModule },
    ],
    { API_MASTER_KEY: STACK_KEY, ENGINE_TYPE: 'simulator', SESSION_START_STAGGER_MS: '0', ...env },
  );
}

/** One request with the stack's admin key; JSON in, JSON out. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked with expect(), shape by shape
export function call(stack: EmbeddedStack, method: string, path: string, body?: unknown): Promise<HttpReply<any>> {
  return callWithKey(stack.base, STACK_KEY, method, path, { body, timeoutMs: 10_000 });
}
