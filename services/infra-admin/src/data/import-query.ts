import { ErrorCode, IMPORT_MODES } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import { z } from 'zod';

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** `?mode=replace|merge&stopSessions=true&allowRedacted=true`, as the gateway and the internal route take it. */
export const ImportQuerySchema = z
  .object({
    mode: z.enum(IMPORT_MODES, { error: 'mode must be replace or merge' }),
    stopSessions: flag.optional(),
    allowRedacted: flag.optional(),
  })
  .strict();
export type ImportQuery = z.infer<typeof ImportQuerySchema>;

/** VALIDATION_FAILED naming each problem; `passphrase` in the query is refused (it would end up in logs). */
export function parseImportQuery(query: unknown): ImportQuery {
  return parseDataQuery(ImportQuerySchema, query);
}

export function parseDataQuery<T extends z.ZodType>(schema: T, query: unknown): z.infer<T> {
  if (query && typeof query === 'object' && 'passphrase' in query) {
    throw new ServiceError(ErrorCode.ValidationFailed, 'send the passphrase in the X-Export-Passphrase header, never in the URL');
  }
  const result = schema.safeParse(query ?? {});
  if (!result.success) {
    throw new ServiceError(ErrorCode.ValidationFailed, 'invalid query', { issues: result.error.issues.map((i) => ({ path: i.path, message: i.message })) });
  }
  return result.data;
}
