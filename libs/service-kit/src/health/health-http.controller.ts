import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { HealthRegistry, Readiness } from './health-registry';

/** Probes for orchestrators: liveness is the process, readiness is sockets and shutdown. */
@Controller('health')
export class HealthHttpController {
  constructor(private readonly registry: HealthRegistry) {}

  /** 200 while the process runs; touches no socket so a slow backend never restarts the pod. */
  @Get('live')
  live(): { status: 'live' } {
    return { status: 'live' };
  }

  /** 200 when ready, 503 once shutdown began or a socket is down. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<Readiness> {
    const readiness = await this.registry.readiness();
    void reply.status(readiness.ready ? 200 : 503);
    return readiness;
  }
}
