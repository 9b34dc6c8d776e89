import { ApiTags } from '@nestjs/swagger';
import { SocketHealthSchema } from '@plugboard/contracts';
import { HealthHttpController, MetricsController } from '@plugboard/service-kit';
import { z } from 'zod';
import { apiErrorResponse, apiTextResponse } from './api-content.decorators';
import { apiResponse } from './api-schema.decorators';
import { schemaFor } from './schema-for-type';

type Answer<C, M extends keyof C> = C[M] extends (...args: never[]) => infer R ? Awaited<R> : never;

const LiveSchema = schemaFor<Answer<HealthHttpController, 'live'>>()(z.object({ status: z.literal('live') }));
const ReadinessSchema = schemaFor<Answer<HealthHttpController, 'ready'>>()(
  z.object({
    ready: z.boolean(),
    reason: z.string().optional().describe('Why not ready: shutting down, or the sockets that are down'),
    sockets: z.array(SocketHealthSchema),
  }),
);

let documented = false;

/**
 * Documents the routes every service gets from service-kit (probes, metrics), which the gateway
 * serves too. service-kit knows nothing of OpenAPI, so the gateway decorates its controllers
 * here, once per process: the decorators add to what is there, a second pass would repeat it.
 */
export function documentServiceKitRoutes(): void {
  if (documented) return;
  documented = true;
  ApiTags('health')(HealthHttpController);
  decorate(HealthHttpController, 'live', apiResponse(200, LiveSchema, 'The process runs'));
  decorate(
    HealthHttpController,
    'ready',
    apiResponse(200, ReadinessSchema, 'Ready: no socket is down'),
    apiResponse(503, ReadinessSchema, 'Not ready: shutting down, or a socket is down'),
  );
  ApiTags('metrics')(MetricsController);
  decorate(
    MetricsController,
    'scrape',
    apiTextResponse(200, 'text/plain', 'Prometheus text exposition (version 0.0.4) of this process and every service it runs'),
    apiErrorResponse(401, 'UNAUTHORIZED: METRICS_TOKEN is set and `Authorization: Bearer <METRICS_TOKEN>` is missing or wrong'),
  );
}

function decorate<C extends object>(controller: { prototype: C }, method: keyof C & string, ...decorators: MethodDecorator[]): void {
  const descriptor = Object.getOwnPropertyDescriptor(controller.prototype, method);
  if (!descriptor) throw new Error(`${method} is not a method of its controller`);
  for (const decorator of decorators) decorator(controller.prototype, method, descriptor);
}
