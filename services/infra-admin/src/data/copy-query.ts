/** The part of node-postgres' connection a COPY talks through. */
export interface PgCopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

/**
 * A `COPY` statement as a node-postgres submittable (`client.query(copy)`), the part both
 * directions share: `done` settles once the server is ready again, rejected with the first
 * error (the server's, or one a subclass records in `failure`).
 */
export abstract class CopyQuery {
  readonly done: Promise<void>;
  protected failure?: Error;
  private resolve!: () => void;
  private reject!: (error: Error) => void;

  constructor(private readonly text: string) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Settled by the caller's await; a failure before it awaits must not count as unhandled.
    this.done.catch(() => undefined);
  }

  submit(connection: PgCopyConnection): void {
    connection.query(this.text);
  }

  /** The server is ready for the rows of a `COPY … FROM STDIN`. */
  abstract handleCopyInResponse(connection: PgCopyConnection): void;

  /** One row of a `COPY … TO STDOUT`. */
  abstract handleCopyData(message: { chunk: Buffer }): void;

  handleError(error: Error): void {
    this.failure ??= error;
    this.reject(this.failure);
  }

  handleReadyForQuery(): void {
    if (this.failure) this.reject(this.failure);
    else this.resolve();
  }

  // Messages a COPY never brings, part of the submittable contract all the same.
  handleCommandComplete(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
}
