import { MediaStreams } from '@plugboard/contracts';
import { GatewayModule } from '@plugboard/gateway';
import { MediaServiceModule } from '@plugboard/media-service';
import { MediaStreamsSwitch, type ServiceHandle } from '@plugboard/service-kit';
import { type InProcessStack, startInProcessStack } from './in-process-stack';

export const GATEWAY_KEY = 'pb_test-gateway-stack-master-key';

export interface GatewayStack extends InProcessStack {
  gateway: ServiceHandle;
}

/**
 * The gateway and the media-service in this process, without a session-worker: sends stay
 * `pending` with their jobs waiting, so a test sees exactly what the gateway wrote and added.
 * Memory bus and queue and SQLite in a temp dir unless `env` picks other plugs.
 */
export async function startGatewayStack(env: Record<string, string> = {}): Promise<GatewayStack> {
  const stack = await startInProcessStack(
    'gateway-stack',
    [
      { service: 'gateway', module: GatewayModule },
      { service: 'media-service', module: MediaServiceModule },
    ],
    { API_MASTER_KEY: GATEWAY_KEY, NODE_ENV: 'test', ...env },
  );
  const [gateway, media] = stack.handles;
  gateway.app.get(MediaStreamsSwitch).use(media.app.get(MediaStreams));
  return { ...stack, gateway };
}

/** A session row in the given status, as a session-worker would have left it. */
export async function seedSession(stack: GatewayStack, name: string, status: 'ready' | 'stopped' | 'qr_ready' = 'ready'): Promise<string> {
  const session = await stack.database.sessions.create({ name, engine: 'simulator' });
  await stack.database.sessions.update(session.id, { status, phone: '15550001111' });
  return session.id;
}
