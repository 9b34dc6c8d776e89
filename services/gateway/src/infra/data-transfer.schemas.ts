import { type DataImportResult, IMPORT_MODES } from '@plugboard/contracts';
import { z } from 'zod';
import { schemaFor } from '../openapi/schema-for-type';

/** The answer of a data import, for the OpenAPI document; schemaFor keeps it equal to the contract type. */
export const DataImportResultSchema = schemaFor<DataImportResult>()(
  z.object({
    jobId: z.string().describe('The import job, as GET /api/infra/jobs/{id} shows it'),
    mode: z.enum(IMPORT_MODES),
    tables: z.record(z.string(), z.number().int().nonnegative()).describe('Rows written per table'),
  }),
);
