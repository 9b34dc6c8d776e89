import { z } from 'zod';

/** The data export file: gzip-compressed NDJSON, one header line, row lines, one trailer line. */
export const EXPORT_FORMAT = 'plugboard-export';
/** Raise when a reader of the previous version could not read the file any more. */
export const EXPORT_FORMAT_VERSION = 1;

export const EncryptionParamsSchema = z.object({
  kdf: z.literal('scrypt'),
  salt: z.string(),
  N: z.number().int().positive().max(1 << 20),
  r: z.number().int().positive().max(32),
  p: z.number().int().positive().max(16),
  cipher: z.literal('aes-256-gcm'),
  /** A known plaintext encrypted with the key: a wrong passphrase is caught before any row. */
  check: z.string(),
});
export type EncryptionParams = z.infer<typeof EncryptionParamsSchema>;

export const ExportHeaderSchema = z.object({
  format: z.literal(EXPORT_FORMAT),
  formatVersion: z.number().int().positive(),
  schemaVersion: z.number().int().nonnegative(),
  sourceDatabase: z.enum(['sqlite', 'postgres']),
  exportedAt: z.string(),
  tables: z.record(z.string(), z.number().int().nonnegative()),
  /** `table.column` whose values were replaced by null (no passphrase given). */
  redacted: z.array(z.string()),
  encrypted: z.boolean(),
  encryption: EncryptionParamsSchema.optional(),
});
export type ExportHeader = z.infer<typeof ExportHeaderSchema>;

/** One row: table and `{ column: value }` with normalised values. */
export const RowLineSchema = z.object({ t: z.string(), r: z.record(z.string(), z.unknown()) }).strict();

/** Last line: rows per table and the sha256 of every row line (each with its `\n`), so a cut file is detected. */
export const TrailerSchema = z
  .object({ trailer: z.object({ tables: z.record(z.string(), z.number().int().nonnegative()), rows: z.number().int().nonnegative(), sha256: z.string() }) })
  .strict();
export type Trailer = z.infer<typeof TrailerSchema>['trailer'];
