import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ErrorCode } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import type { FastifyRequest } from 'fastify';
import { SessionSupervisor } from './session-supervisor';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * `POST /drain` on the worker's own HTTP port, for a Kubernetes preStop hook: hands every
 * session to the other workers before SIGTERM arrives. Loopback only, since the port has
 * no API keys; operators use `worker.drain` over the bus instead.
 */
@Controller()
export class DrainHttpController {
  constructor(private readonly supervisor: SessionSupervisor) {}

  @Post('drain')
  @HttpCode(200)
  drain(@Req() request: FastifyRequest): Promise<{ instanceId: string; released: number }> {
    if (!LOOPBACK.has(request.socket.remoteAddress ?? '')) {
      throw new ServiceError(ErrorCode.Forbidden, 'drain is accepted from the pod itself (loopback) only');
    }
    return this.supervisor.drain('drain requested over HTTP');
  }
}
