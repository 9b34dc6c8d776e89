import { Injectable } from '@nestjs/common';
import { type DataImportRequest, type DataImportResult, ErrorCode } from '@plugboard/contracts';
import { Database, SCHEMA_VERSION } from '@plugboard/database';
import { ServiceError } from '@plugboard/service-kit';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InfraJobs } from '../jobs/infra-jobs';
import { BatchWriter } from './batch-writer';
import { EXPORT_FORMAT, EXPORT_FORMAT_VERSION, type ExportHeader, ExportHeaderSchema, TrailerSchema } from './export-format';
import { toImportError } from './import-errors';
import { readLines } from './ndjson-lines';
import { OLDEST_IMPORTABLE_SCHEMA, upgradeExportedRow } from './older-exports';
import { RedactedSecrets } from './redacted-secrets';
import { RunningSessions } from './running-sessions';
import { SecretCipher, secretAad } from './secret-cipher';
import { type TableSpec, buildTableCatalog } from './table-catalog';
import { quoteIdentifier } from './table-reader';
import { type TransferConnection, openTransferConnection } from './transfer-connection';
import { valueProblem } from './value-codec';

const PROGRESS_STEP = 1_000;
const TRAILER_PREFIX = '{"trailer":';

/**
 * Reads an export stream into this database in ONE transaction: `replace` deletes every table
 * (children first) and inserts; `merge` upserts by primary key. The header is checked before
 * anything is touched, the trailer's counts and hash before the commit; any problem rolls
 * everything back and is answered with a coded 4xx.
 */
@Injectable()
export class DataImporter {
  constructor(
    private readonly database: Database,
    private readonly jobs: InfraJobs,
    private readonly sessions: RunningSessions,
  ) {}

  async import(request: DataImportRequest): Promise<DataImportResult> {
    const job = this.jobs.start('import', { mode: request.mode });
    const gunzip = createGunzip();
    // A cut or failing input destroys the gunzip stream with its error, which the line reader throws.
    pipeline(request.stream, gunzip, () => undefined);
    const lines = readLines(gunzip);
    let connection: TransferConnection | undefined;
    let table: string | undefined;
    try {
      await this.database.connector.whenReady();
      const catalog = buildTableCatalog(this.database.orm);
      const header = checkHeader(await nextLine(lines));
      const cipher = await openCipher(header, request.passphrase);
      job.setTotal(Object.values(header.tables).reduce((a, b) => a + b, 0));
      job.mergeDetails({ sourceDatabase: header.sourceDatabase, exportedAt: header.exportedAt });
      if (request.mode === 'replace') await this.sessions.ensureNoneRunning(request.stopSessions === true);

      connection = openTransferConnection(this.database);
      await connection.begin('write');
      const redacted = await RedactedSecrets.load(connection, catalog, header.redacted, request.allowRedacted === true);
      if (request.mode === 'replace') {
        for (const spec of [...catalog].reverse()) await connection.query(`delete from ${quoteIdentifier(spec.name)}`);
      }
      const rows = new RowDecoder(catalog, header, cipher, redacted);
      const writer = new BatchWriter(connection, request.mode);
      const hash = createHash('sha256');
      let unreported = 0;
      for (;;) {
        const line = await nextLine(lines);
        if (line.startsWith(TRAILER_PREFIX)) {
          await writer.flush();
          job.advance(unreported);
          checkTrailer(line, rows.counts, header, hash.digest('hex'));
          break;
        }
        hash.update(`${line}\n`);
        const { spec, row } = rows.decode(line);
        table = spec.name;
        await writer.add(spec, row, line.length);
        if (++unreported === PROGRESS_STEP) {
          job.advance(unreported);
          unreported = 0;
          job.throwIfCancelled();
        }
      }
      // Reading on to the end also checks the gzip footer (length and CRC).
      if (!(await lines.next()).done) throw new ServiceError(ErrorCode.ImportInvalid, 'lines after the trailer');
      job.throwIfCancelled();
      if (connection.dialect === 'sqlite') await checkSqliteForeignKeys(connection);
      await connection.commit();
      job.complete({ tables: rows.counts });
      return { jobId: job.id, mode: request.mode, tables: rows.counts };
    } catch (error) {
      await connection?.rollback();
      const coded = toImportError(error, table);
      job.fail(coded);
      throw coded;
    } finally {
      await connection?.close().catch(() => undefined);
      gunzip.destroy();
      await lines.return(undefined).catch(() => undefined);
    }
  }
}

async function nextLine(lines: AsyncGenerator<string>): Promise<string> {
  let next: IteratorResult<string>;
  try {
    next = await lines.next();
  } catch (error) {
    throw toImportError(error);
  }
  if (next.done) throw new ServiceError(ErrorCode.ImportTruncated, 'the import stream ended before its trailer line; nothing was changed');
  return next.value;
}

function checkHeader(line: string): ExportHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new ServiceError(ErrorCode.ImportInvalid, 'the first line is not a JSON export header');
  }
  const { format, formatVersion, schemaVersion } = (raw ?? {}) as Record<string, unknown>;
  if (format !== EXPORT_FORMAT) throw new ServiceError(ErrorCode.ImportInvalid, `not a ${EXPORT_FORMAT} file`);
  if (typeof formatVersion === 'number' && formatVersion > EXPORT_FORMAT_VERSION) {
    throw new ServiceError(ErrorCode.ImportFormatNewer, `export format ${formatVersion} is newer than this release reads (${EXPORT_FORMAT_VERSION}): upgrade first`, {
      formatVersion,
      supported: EXPORT_FORMAT_VERSION,
    });
  }
  const parsed = ExportHeaderSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ServiceError(ErrorCode.ImportInvalid, 'invalid export header', { issues: parsed.error.issues.map((i) => ({ path: i.path, message: i.message })) });
  }
  if (typeof schemaVersion !== 'number' || schemaVersion < OLDEST_IMPORTABLE_SCHEMA || schemaVersion > SCHEMA_VERSION) {
    throw new ServiceError(
      ErrorCode.ImportSchemaMismatch,
      `exported at schema version ${String(schemaVersion)}, this release imports versions ${OLDEST_IMPORTABLE_SCHEMA} to ${SCHEMA_VERSION}: import with the release that matches the export`,
      { schemaVersion, expected: SCHEMA_VERSION, oldest: OLDEST_IMPORTABLE_SCHEMA },
    );
  }
  return parsed.data;
}

async function openCipher(header: ExportHeader, passphrase: string | undefined): Promise<SecretCipher | undefined> {
  if (!header.encrypted) return undefined;
  if (!header.encryption) throw new ServiceError(ErrorCode.ImportInvalid, 'encrypted export without encryption parameters');
  if (!passphrase) throw new ServiceError(ErrorCode.ImportPassphrase, 'this export is encrypted: send its passphrase in X-Export-Passphrase');
  const cipher = await SecretCipher.open(passphrase, header.encryption);
  if (!cipher) throw new ServiceError(ErrorCode.ImportPassphrase, 'wrong passphrase for this export');
  return cipher;
}

function checkTrailer(line: string, counts: Record<string, number>, header: ExportHeader, sha256: string): void {
  let parsed;
  try {
    parsed = TrailerSchema.safeParse(JSON.parse(line));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success) throw new ServiceError(ErrorCode.ImportInvalid, 'invalid trailer line');
  const { trailer } = parsed.data;
  if (trailer.sha256 !== sha256) throw new ServiceError(ErrorCode.ImportInvalid, 'the rows do not match the trailer hash: the file was altered');
  const names = new Set([...Object.keys(trailer.tables), ...Object.keys(counts), ...Object.keys(header.tables)]);
  const mismatched = [...names].filter((n) => (trailer.tables[n] ?? 0) !== (counts[n] ?? 0) || (header.tables[n] ?? 0) !== (counts[n] ?? 0));
  if (mismatched.length > 0) {
    throw new ServiceError(ErrorCode.ImportInvalid, `row counts differ from the header or trailer for: ${mismatched.join(', ')}`, {
      read: counts,
      header: header.tables,
      trailer: trailer.tables,
    });
  }
}

/** SQLite checks foreign keys per statement only where the schema declares them; this checks them all before commit. */
async function checkSqliteForeignKeys(connection: TransferConnection): Promise<void> {
  const broken = await connection.query('pragma foreign_key_check');
  if (broken.length > 0) {
    const first = broken[0];
    throw new ServiceError(ErrorCode.ImportInvalid, `a row breaks a foreign key in table ${String(first.table)}; nothing was changed`, {
      table: first.table,
      parent: first.parent,
      violations: broken.length,
    });
  }
}

/** Row lines to checked rows: known table in export order, known columns, typed values, secrets decrypted or kept. */
class RowDecoder {
  readonly counts: Record<string, number> = {};
  private readonly specs: Map<string, { spec: TableSpec; index: number }>;
  private currentIndex = -1;
  private readonly redactedColumns: Set<string>;
  private readonly schemaVersion: number;

  constructor(
    catalog: TableSpec[],
    header: ExportHeader,
    private readonly cipher: SecretCipher | undefined,
    private readonly redacted: RedactedSecrets,
  ) {
    this.specs = new Map(catalog.map((spec, index) => [spec.name, { spec, index }]));
    this.redactedColumns = new Set(header.redacted);
    this.schemaVersion = header.schemaVersion;
  }

  decode(line: string): { spec: TableSpec; row: Record<string, unknown> } {
    let parsed: { t?: unknown; r?: unknown };
    try {
      parsed = JSON.parse(line) as { t?: unknown; r?: unknown };
    } catch {
      throw invalid('a line is not JSON');
    }
    const entry = typeof parsed?.t === 'string' ? this.specs.get(parsed.t) : undefined;
    if (!entry) throw invalid(`unknown table ${JSON.stringify(parsed?.t)}`);
    if (typeof parsed.r !== 'object' || parsed.r === null || Array.isArray(parsed.r)) throw invalid(`a row of ${entry.spec.name} is not an object`);
    if (entry.index < this.currentIndex) throw invalid(`rows of ${entry.spec.name} after a later table: the file is not in foreign-key order`);
    this.currentIndex = entry.index;
    const { spec } = entry;
    const source = upgradeExportedRow(spec.name, parsed.r as Record<string, unknown>, this.schemaVersion);
    const row: Record<string, unknown> = {};
    const pk = source[spec.primaryKey];
    for (const column of spec.columns) {
      let value = source[column.name];
      if (column.secret) value = this.secret(spec.name, column.name, pk, value);
      const problem = valueProblem(column.kind, column.nullable, value);
      if (problem) throw invalid(`${spec.name}.${column.name} of row ${String(pk)} ${problem}`);
      row[column.name] = value ?? null;
    }
    const unknown = Object.keys(source).filter((name) => !spec.columns.some((c) => c.name === name));
    if (unknown.length > 0) throw invalid(`unknown columns of ${spec.name}: ${unknown.join(', ')}`);
    // A lease names a worker of the installation the file came from: here nobody holds it yet.
    // The generation is kept, so fencing tokens never go backwards.
    if (spec.name === 'sessions') Object.assign(row, { lease_owner: null, lease_expires_at: null });
    this.counts[spec.name] = (this.counts[spec.name] ?? 0) + 1;
    return { spec, row };
  }

  private secret(table: string, column: string, pk: unknown, value: unknown): unknown {
    if (this.redactedColumns.has(`${table}.${column}`) && (value === null || value === undefined)) return this.redacted.valueFor(table, column, pk);
    if (!this.cipher || value === null || value === undefined) return value;
    try {
      return JSON.parse(this.cipher.decrypt(String(value), secretAad(table, column, pk))) as unknown;
    } catch {
      throw invalid(`${table}.${column} of row ${String(pk)} cannot be decrypted: it was altered or moved`);
    }
  }
}

function invalid(message: string): ServiceError {
  return new ServiceError(ErrorCode.ImportInvalid, message);
}
