import { Injectable } from '@nestjs/common';
import type { DataExport, DataExportRequest } from '@plugboard/contracts';
import { Database, SCHEMA_VERSION } from '@plugboard/database';
import { createHash } from 'node:crypto';
import { constants, createGzip } from 'node:zlib';
import { InfraJobs, type JobHandle } from '../jobs/infra-jobs';
import { EXPORT_FORMAT, EXPORT_FORMAT_VERSION, type ExportHeader, type Trailer } from './export-format';
import { PagePool } from './page-pool';
import { writePages } from './page-writer';
import { tableRowLines } from './row-lines';
import { SecretCipher } from './secret-cipher';
import { type TableSpec, buildTableCatalog } from './table-catalog';
import { countRows } from './table-reader';
import { type TransferConnection, openTransferConnection } from './transfer-connection';

/**
 * Writes every user table as gzip-compressed NDJSON (see export-format.ts), from one
 * consistent snapshot, one page of lines at a time and only as fast as the reader takes it (backpressure),
 * so memory stays flat whatever the size. Secrets are encrypted with the passphrase, or
 * redacted without one.
 */
@Injectable()
export class DataExporter {
  constructor(
    private readonly database: Database,
    private readonly jobs: InfraJobs,
  ) {}

  /** Answers once the snapshot is open and counted; the rows then flow as the stream is read. */
  async export(request: DataExportRequest): Promise<DataExport> {
    const job = this.jobs.start('export', { encrypted: Boolean(request.passphrase) });
    let connection: TransferConnection | undefined;
    try {
      await this.database.connector.whenReady();
      const tables = buildTableCatalog(this.database.orm);
      connection = openTransferConnection(this.database);
      await connection.begin('read');
      const counts: Record<string, number> = {};
      for (const table of tables) counts[table.name] = await countRows(connection, table);
      job.setTotal(Object.values(counts).reduce((a, b) => a + b, 0));
      const cipher = request.passphrase ? await SecretCipher.create(request.passphrase) : undefined;
      const header: ExportHeader = {
        format: EXPORT_FORMAT,
        formatVersion: EXPORT_FORMAT_VERSION,
        schemaVersion: SCHEMA_VERSION,
        sourceDatabase: this.database.config.DATABASE_TYPE,
        exportedAt: new Date().toISOString(),
        tables: counts,
        redacted: cipher ? [] : tables.flatMap((t) => t.columns.filter((c) => c.secret).map((c) => `${t.name}.${c.name}`)),
        encrypted: Boolean(cipher),
        ...(cipher ? { encryption: cipher.params } : {}),
      };
      const pages = new PagePool();
      // Level 1: NDJSON still shrinks about tenfold, at a fraction of the default level's CPU.
      const gzip = createGzip({ level: 1, chunkSize: 64 * 1024, strategy: constants.Z_DEFAULT_STRATEGY });
      // The reader sees a failure through its own listener; this one keeps an export nobody reads any more from crashing the process.
      gzip.on('error', () => undefined);
      void writePages(gzip, exportChunks(connection, tables, header, cipher, job, pages), pages);
      job.signal.addEventListener('abort', () => gzip.destroy(job.signal.reason as Error), { once: true });
      return { jobId: job.id, stream: gzip };
    } catch (error) {
      await connection?.close().catch(() => undefined);
      job.fail(error);
      throw error;
    }
  }
}

async function* exportChunks(
  connection: TransferConnection,
  tables: TableSpec[],
  header: ExportHeader,
  cipher: SecretCipher | undefined,
  job: JobHandle,
  pages: PagePool,
): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  const written: Record<string, number> = {};
  let rows = 0;
  let finished = false;
  try {
    yield Buffer.from(`${JSON.stringify(header)}\n`);
    for (const table of tables) {
      written[table.name] = 0;
      for await (const page of tableRowLines(connection, table, cipher, pages)) {
        hash.update(page.bytes);
        written[table.name] += page.rows;
        rows += page.rows;
        job.advance(page.rows);
        job.throwIfCancelled();
        yield page.bytes;
      }
    }
    const trailer: Trailer = { tables: written, rows, sha256: hash.digest('hex') };
    yield Buffer.from(`${JSON.stringify({ trailer })}\n`);
    await connection.commit();
    finished = true;
    job.complete({ tables: written });
  } catch (error) {
    job.fail(error);
    throw error;
  } finally {
    if (!finished) job.fail(new Error('the export stream was closed before its end'));
    await connection.close().catch(() => undefined);
  }
}
