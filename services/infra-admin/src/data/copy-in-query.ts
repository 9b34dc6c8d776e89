import { CopyQuery, type PgCopyConnection } from './copy-query';

/**
 * `COPY … FROM STDIN` of one block of rows: once the server asks for data, the rows (COPY
 * text format, each line ending in a newline) go as one CopyData message, then the end of
 * the copy. A broken constraint or a value its column refuses rejects `done`.
 */
export class CopyInQuery extends CopyQuery {
  constructor(
    text: string,
    private readonly rows: Buffer,
  ) {
    super(text);
  }

  handleCopyInResponse(connection: PgCopyConnection): void {
    connection.sendCopyFromChunk(this.rows);
    connection.endCopyFrom();
  }

  // A COPY FROM receives no rows.
  handleCopyData(): void {}
}
