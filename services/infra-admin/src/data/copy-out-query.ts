import { CopyQuery, type PgCopyConnection } from './copy-query';

/**
 * `COPY … TO STDOUT`: PostgreSQL sends one CopyData message per row, in its text format, and
 * each is handed to `onRow` as it arrives, as raw bytes, never decoded into strings. The
 * bytes are a view into the driver's read buffer, valid only during the call.
 */
export class CopyOutQuery extends CopyQuery {
  constructor(
    text: string,
    private readonly onRow: (row: Buffer) => void,
  ) {
    super(text);
  }

  handleCopyData(message: { chunk: Buffer }): void {
    if (this.failure) return;
    try {
      this.onRow(message.chunk);
    } catch (error) {
      // Thrown into the driver it would break its connection: the rest of the rows are skipped, then it fails.
      this.failure = error as Error;
    }
  }

  handleCopyInResponse(connection: PgCopyConnection): void {
    connection.sendCopyFail('COPY FROM is not supported here');
  }
}
