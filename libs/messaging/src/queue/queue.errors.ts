import { ErrorCode } from '@plugboard/contracts';

/** The one error class of the queue socket. */
export class QueueError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly queue?: string,
  ) {
    super(message);
    this.name = 'QueueError';
  }
}
