import type { EntityMetadata, EntityProperty, MikroORM } from '@mikro-orm/core';

/** How a column's values are normalised so they read the same from SQLite and PostgreSQL. */
export type ColumnKind = 'text' | 'integer' | 'bigint' | 'boolean' | 'datetime' | 'json';

export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
  nullable: boolean;
  /** Exported only encrypted with a passphrase; otherwise redacted. */
  secret: boolean;
}

export interface TableSpec {
  name: string;
  primaryKey: string;
  columns: ColumnSpec[];
}

/**
 * Every user table in foreign-key order: parents before children, so inserts in this order
 * and deletes in the reverse never break a constraint. `schema_info` (and the migration
 * ledger, which is no entity) are the database's own bookkeeping and never exported.
 */
export const EXPORT_TABLE_ORDER = [
  'sessions',
  'messages',
  'message_batches',
  'webhooks',
  'webhook_deliveries',
  'webhook_cursors',
  'api_keys',
  'audit_logs',
  'media',
  'simulator_devices',
  'simulator_messages',
] as const;

export const NOT_EXPORTED_TABLES = ['schema_info'];

/** Webhook secrets (current and previous) and custom header values (tokens), API key hashes. */
export const SECRET_COLUMNS: Record<string, string[]> = {
  webhooks: ['secret', 'previous_secret', 'headers'],
  api_keys: ['hash'],
};

/**
 * The tables and columns to move, read from the ORM's metadata so a new column travels
 * without touching this code; a new table must be placed in EXPORT_TABLE_ORDER (checked here).
 */
export function buildTableCatalog(orm: MikroORM): TableSpec[] {
  const byTable = new Map<string, EntityMetadata>();
  for (const meta of Object.values(orm.getMetadata().getAll())) {
    if (meta.tableName && !meta.embeddable && !meta.virtual) byTable.set(meta.tableName, meta);
  }
  const unplaced = [...byTable.keys()].filter(
    (name) => !(EXPORT_TABLE_ORDER as readonly string[]).includes(name) && !NOT_EXPORTED_TABLES.includes(name),
  );
  if (unplaced.length > 0) throw new Error(`tables missing from the export order: ${unplaced.join(', ')}`);

  return EXPORT_TABLE_ORDER.map((name) => {
    const meta = byTable.get(name);
    if (!meta) throw new Error(`table "${name}" of the export order has no entity`);
    if (meta.primaryKeys.length !== 1) throw new Error(`table "${name}": only single-column primary keys are supported`);
    const secrets = SECRET_COLUMNS[name] ?? [];
    const columns = meta.props
      .filter((prop) => prop.persist !== false && prop.fieldNames?.length === 1 && (prop.kind === 'scalar' || prop.kind === 'm:1'))
      .map((prop) => ({ name: prop.fieldNames[0], kind: kindOf(prop), nullable: prop.nullable === true, secret: secrets.includes(prop.fieldNames[0]) }));
    const primaryKey = meta.properties[meta.primaryKeys[0]].fieldNames[0];
    return { name, primaryKey, columns };
  });
}

function kindOf(prop: EntityProperty): ColumnKind {
  const custom = prop.customType?.constructor?.name;
  if (custom === 'JsonType') return 'json';
  if (custom === 'BigIntType') return 'bigint';
  switch (prop.type) {
    case 'datetime':
      return 'datetime';
    case 'boolean':
      return 'boolean';
    case 'integer':
      return 'integer';
    case 'json':
      return 'json';
    default:
      return 'text';
  }
}
