import { Controller, Get, Module } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { loadConfig } from '@plugboard/config';
import { ErrorCode } from '@plugboard/contracts';
import { createBus, createQueue } from '@plugboard/messaging';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceHandle, bootstrapService } from './bootstrap-service';
import { HealthModule } from './health/health.module';
import { ServiceError } from './service-kit.errors';
import { createServiceLogger } from './service-logger';

@Controller()
class FailingController {
  @MessagePattern('bus.echo')
  echo(): never {
    throw new ServiceError(ErrorCode.Conflict, 'echo refused');
  }

  @Get('boom')
  boom(): never {
    throw new Error('database password is hunter2');
  }

  @Get('coded')
  coded(): never {
    throw new ServiceError(ErrorCode.Forbidden, 'not yours', { sessionId: 's1' });
  }
}

@Module({ imports: [HealthModule], controllers: [FailingController] })
class TestServiceModule {}

async function setup() {
  const cwd = mkdtempSync(join(tmpdir(), 'pb-bootstrap-'));
  const config = loadConfig({ env: { LOG_LEVEL: 'error', DATA_DIR: join(cwd, 'data') }, cwd });
  const bus = createBus(config, 'media-service');
  const queue = createQueue(config);
  const logger = createServiceLogger('media-service', 'fatal');
  const sut = await bootstrapService({ service: 'media-service', module: TestServiceModule, config, bus, queue, listen: false, logger });
  const inject = async (url: string) => {
    const response = await sut.app.getHttpAdapter().getInstance().inject({ method: 'GET', url });
    return { status: response.statusCode, body: response.json() as unknown };
  };
  return { sut, mocks: { bus, queue }, inject };
}

describe('bootstrapService', () => {
  let env: Awaited<ReturnType<typeof setup>>;
  let handle: ServiceHandle;
  beforeEach(async () => {
    env = await setup();
    handle = env.sut;
  });
  afterEach(async () => {
    await handle.close();
    await env.mocks.queue.close();
    await env.mocks.bus.close();
  });

  it('answers health.ping over the shared bus with the service context', async () => {
    const [reply] = await env.mocks.bus.gather('health.ping', {}, { timeoutMs: 300 });
    expect(reply).toMatchObject({ service: 'media-service', instanceId: handle.context.instanceId, status: 'up', ready: true });
    expect(reply.sockets.map((s) => s.socket)).toEqual(['bus', 'queue', 'database']);
  });

  it('sends a coded error of a bus handler back with its code', async () => {
    await expect(env.mocks.bus.request('bus.echo', { text: 'x' })).rejects.toMatchObject({ code: ErrorCode.Conflict, message: 'echo refused' });
  });

  it('answers every HTTP error in the one shape, without internals', async () => {
    await expect(env.inject('/nowhere')).resolves.toEqual({ status: 404, body: { error: { code: 'NOT_FOUND', message: 'Cannot GET /nowhere' } } });
    await expect(env.inject('/coded')).resolves.toEqual({
      status: 403,
      body: { error: { code: 'FORBIDDEN', message: 'not yours', details: { sessionId: 's1' } } },
    });
    const boom = await env.inject('/boom');
    expect(boom).toEqual({ status: 500, body: { error: { code: 'INTERNAL', message: 'Internal server error' } } });
    expect(JSON.stringify(boom.body)).not.toContain('hunter2');
  });

  it('turns readiness to 503 once shutdown begins while liveness stays 200', async () => {
    await expect(env.inject('/health/ready')).resolves.toMatchObject({ status: 200, body: { ready: true } });
    handle.beginShutdown();
    await expect(env.inject('/health/ready')).resolves.toMatchObject({ status: 503, body: { ready: false, reason: 'shutting down' } });
    await expect(env.inject('/health/live')).resolves.toMatchObject({ status: 200 });
  });

  it('stops answering on the bus once closed, leaving the shared bus open', async () => {
    await handle.close();
    expect(env.mocks.bus.state()).toBe('connected');
    await expect(env.mocks.bus.gather('health.ping', {}, { timeoutMs: 200 })).resolves.toEqual([]);
  });
});
