/** The part of node-postgres' connection a query submits through. */
interface PgConnection {
  query(text: string): void;
  sendCopyFail(message: string): void;
}

/**
 * `COPY … TO STDOUT` as a node-postgres submittable (`client.query(copy)`): PostgreSQL sends
 * one CopyData message per row, in its text format, and each is handed to `onRow` as it
 * arrives, as raw bytes, never decoded into strings. The bytes are a view into the driver's
 * read buffer, valid only during the call. `done` settles once the server is ready again.
 */
export class CopyOutQuery {
  readonly done: Promise<void>;
  private resolve!: () => void;
  private reject!: (error: Error) => void;
  private failure?: Error;

  constructor(
    private readonly text: string,
    private readonly onRow: (row: Buffer) => void,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Settled by the caller's await; a failure before it awaits must not count as unhandled.
    this.done.catch(() => undefined);
  }

  submit(connection: PgConnection): void {
    connection.query(this.text);
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

  handleError(error: Error): void {
    this.failure ??= error;
    this.reject(this.failure);
  }

  handleReadyForQuery(): void {
    if (this.failure) this.reject(this.failure);
    else this.resolve();
  }

  handleCopyInResponse(connection: PgConnection): void {
    connection.sendCopyFail('COPY FROM is not supported here');
  }

  handleCommandComplete(): void {}

  // Messages a COPY TO never brings, part of the submittable contract all the same.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
}
