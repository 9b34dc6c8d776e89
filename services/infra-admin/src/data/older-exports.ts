/**
 * The oldest schema version whose exports this release imports. Each later schema change that
 * leaves old rows short of a column says here what the column holds for them.
 */
export const OLDEST_IMPORTABLE_SCHEMA = 6;

/** A row line's columns, exported at `schemaVersion`, as this release's schema has them. */
export function upgradeExportedRow(table: string, row: Record<string, unknown>, schemaVersion: number): Record<string, unknown> {
  if (schemaVersion < 7 && table === 'messages' && !('announced_at' in row)) {
    // As migration 0007: a message received before version 7 was announced then.
    return { ...row, announced_at: row.direction === 'incoming' ? row.created_at : null };
  }
  if (schemaVersion < 8 && table === 'webhooks' && !('previous_secret' in row)) {
    // As migration 0008: a webhook had never been rotated.
    return { ...row, previous_secret: null, previous_secret_expires_at: null };
  }
  return row;
}
