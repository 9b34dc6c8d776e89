import { HealthStatusSchema, SERVICE_NAMES, ServiceHealthSchema } from '@plugboard/contracts';
import { z } from 'zod';
import type { HealthSummary, InfraStatus } from './health-aggregation';
import { schemaFor } from './openapi/schema-for-type';

const OverallStatusSchema = z.enum(['ok', 'degraded', 'down']).describe('`down` when an expected service has no healthy instance; `degraded` when any service is not `up`');
const ServiceNameSchema = z.enum(SERVICE_NAMES);

/** The public `/health` body, for the OpenAPI document. */
export const HealthSummarySchema = schemaFor<HealthSummary>()(
  z.object({
    status: OverallStatusSchema,
    services: z.partialRecord(ServiceNameSchema, HealthStatusSchema).describe('Services that answered or are expected'),
    checkedAt: z.iso.datetime(),
  }),
);

/** The admin `/api/infra/status` body, for the OpenAPI document. */
export const InfraStatusSchema = schemaFor<InfraStatus>()(
  z.object({
    status: OverallStatusSchema,
    checkedAt: z.iso.datetime(),
    services: z
      .partialRecord(ServiceNameSchema, z.object({ status: HealthStatusSchema, instances: z.array(ServiceHealthSchema) }))
      .describe('Services that answered or are expected; an expected one that did not answer is `down` with no instances'),
  }),
);
