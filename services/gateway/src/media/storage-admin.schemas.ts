import type { MediaImportSummary, StorageCheckReport } from '@plugboard/contracts';
import { z } from 'zod';
import { schemaFor } from '../openapi/schema-for-type';

/** The answers of the storage backup routes, for the OpenAPI document; schemaFor keeps each equal to its contract type. */
export const MediaImportSummarySchema = schemaFor<MediaImportSummary>()(
  z.object({
    imported: z.number().int().nonnegative(),
    skipped: z.number().int().nonnegative().describe('Objects already present with the same sha256'),
    failed: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
  }),
);

export const StorageCheckReportSchema = schemaFor<StorageCheckReport>()(
  z.object({
    checkedAt: z.iso.datetime(),
    objects: z.number().int().nonnegative(),
    rows: z.number().int().nonnegative(),
    orphanFiles: z.array(z.string()).describe('Files in storage that no row points at'),
    orphanRows: z.array(z.object({ id: z.string(), key: z.string() })).describe('Rows whose file is missing'),
  }),
);
