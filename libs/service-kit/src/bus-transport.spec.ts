import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { loadConfig } from '@plugboard/config';
import { ErrorCode, ReplyOf, RequestOf } from '@plugboard/contracts';
import { BusPort, createBus } from '@plugboard/messaging';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Observable, of } from 'rxjs';
import { BusContext, BusTransport } from './bus-transport';
import { CodedExceptionFilter } from './coded-exception.filter';
import { ServiceError } from './service-kit.errors';

const events: unknown[] = [];

@Controller()
class PromiseEchoController {
  @MessagePattern('bus.echo')
  async echo(@Payload() { text }: RequestOf<'bus.echo'>, @Ctx() ctx: BusContext): Promise<ReplyOf<'bus.echo'>> {
    if (text === 'fail') throw new ServiceError(ErrorCode.Conflict, 'asked to fail');
    if (text === 'crash') throw new Error('secret internals');
    return { text: `${text}@${ctx.getSubject()}`, instanceId: 'promise' };
  }

  @EventPattern('test.happened')
  happened(@Payload() data: unknown): void {
    events.push(data);
  }
}

@Controller()
class ObservableEchoController {
  @MessagePattern('bus.echo')
  echo(@Payload() { text }: RequestOf<'bus.echo'>): Observable<ReplyOf<'bus.echo'>> {
    return of({ text, instanceId: 'observable' });
  }
}

@Controller()
class UnknownSubjectController {
  @MessagePattern('not.a.contract')
  nothing(): string {
    return 'never';
  }
}

function setup() {
  const config = loadConfig({ env: { BUS_TYPE: 'memory' }, cwd: mkdtempSync(join(tmpdir(), 'pb-transport-')) });
  const bus = createBus(config, 'gateway');
  const apps: INestMicroservice[] = [];
  const start = async (controller: new (...args: never[]) => unknown, transport: BusTransport) => {
    @Module({ controllers: [controller] })
    class TestModule {}
    const app = await NestFactory.createMicroservice(TestModule, { strategy: transport, logger: false });
    app.useGlobalFilters(new CodedExceptionFilter({ log: () => undefined, warn: () => undefined, error: () => undefined }));
    apps.push(app);
    await app.listen();
    return app;
  };
  const close = async () => {
    for (const app of apps) await app.close();
    await bus.close();
  };
  return { sut: { start }, mocks: { bus: bus as BusPort }, close };
}

describe('BusTransport', () => {
  let env: ReturnType<typeof setup>;
  beforeEach(() => {
    env = setup();
    events.length = 0;
  });
  afterEach(() => env.close());

  it('serves a @MessagePattern handler returning a promise, with the subject in its context', async () => {
    await env.sut.start(PromiseEchoController, new BusTransport(env.mocks.bus, { service: 'gateway' }));
    await expect(env.mocks.bus.request('bus.echo', { text: 'hi' })).resolves.toEqual({ text: 'hi@bus.echo', instanceId: 'promise' });
  });

  it('serves a handler returning an observable', async () => {
    await env.sut.start(ObservableEchoController, new BusTransport(env.mocks.bus, { service: 'gateway' }));
    await expect(env.mocks.bus.request('bus.echo', { text: 'obs' })).resolves.toEqual({ text: 'obs', instanceId: 'observable' });
  });

  it('answers queue-grouped subjects once per service and broadcast subjects from every instance', async () => {
    const { bus } = env.mocks;
    await env.sut.start(PromiseEchoController, new BusTransport(bus, { service: 'gateway' }));
    await env.sut.start(ObservableEchoController, new BusTransport(bus, { service: 'gateway' }));
    expect(await bus.gather('bus.echo', { text: 'x' }, { timeoutMs: 200 })).toHaveLength(1);

    await env.sut.start(PromiseEchoController, new BusTransport(bus, { service: 'media-service', broadcast: ['bus.echo'] }));
    await env.sut.start(ObservableEchoController, new BusTransport(bus, { service: 'media-service', broadcast: ['bus.echo'] }));
    // One from the gateway group, one from each broadcast instance.
    expect(await bus.gather('bus.echo', { text: 'x' }, { timeoutMs: 200 })).toHaveLength(3);
  });

  it('sends a coded error back with its code and hides uncoded ones as INTERNAL', async () => {
    await env.sut.start(PromiseEchoController, new BusTransport(env.mocks.bus, { service: 'gateway' }));
    await expect(env.mocks.bus.request('bus.echo', { text: 'fail' })).rejects.toMatchObject({ code: ErrorCode.Conflict, message: 'asked to fail' });
    const crash = env.mocks.bus.request('bus.echo', { text: 'crash' });
    await expect(crash).rejects.toMatchObject({ code: ErrorCode.Internal });
    await expect(crash).rejects.not.toMatchObject({ message: expect.stringContaining('secret') });
  });

  it('answers a malformed request with VALIDATION_FAILED and keeps serving', async () => {
    await env.sut.start(PromiseEchoController, new BusTransport(env.mocks.bus, { service: 'gateway' }));
    await expect(env.mocks.bus.request('bus.echo', { nope: 1 } as never)).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
    await expect(env.mocks.bus.request('bus.echo', { text: 'still' })).resolves.toMatchObject({ text: 'still@bus.echo' });
  });

  it('delivers @EventPattern messages published on the bus', async () => {
    await env.sut.start(PromiseEchoController, new BusTransport(env.mocks.bus, { service: 'gateway' }));
    await env.mocks.bus.publish('test.happened', { n: 1 });
    await vi.waitFor(() => expect(events).toEqual([{ n: 1 }]));
  });

  it('refuses to start with a @MessagePattern that is not a contract subject', async () => {
    await expect(env.sut.start(UnknownSubjectController, new BusTransport(env.mocks.bus, { service: 'gateway' }))).rejects.toThrow(
      /not a subject of SubjectMap/,
    );
  });

  it('unbinds every handler on close', async () => {
    const app = await env.sut.start(PromiseEchoController, new BusTransport(env.mocks.bus, { service: 'gateway' }));
    await app.close();
    await expect(env.mocks.bus.request('bus.echo', { text: 'gone' }, { timeoutMs: 200 })).rejects.toMatchObject({
      code: expect.stringMatching(/BUS_NO_RESPONDERS|BUS_TIMEOUT/),
    });
  });
});
