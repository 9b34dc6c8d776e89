import { Module } from '@nestjs/common';
import { HealthHttpController } from './health-http.controller';
import { HealthRpcController } from './health-rpc.controller';

/** Health of one service: `/health/live`, `/health/ready` and the `health.ping` answer. Every service imports it. */
@Module({ controllers: [HealthHttpController, HealthRpcController] })
export class HealthModule {}
