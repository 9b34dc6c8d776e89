import { ErrorCode } from '@plugboard/contracts';
import { DEFAULT_CONTENT_TYPE } from './storage.port';
import { StorageError } from './storage.errors';

// Printable ASCII only: the value ends up in an HTTP header (S3 and our own downloads).
const HEADER_SAFE = /^[\x20-\x7e]{1,255}$/;

/** The content type to store for a put: the given one when header-safe, else VALIDATION_FAILED; the default when none. */
export function normalizeContentType(key: string, contentType: string | undefined): string {
  if (contentType === undefined || contentType === '') return DEFAULT_CONTENT_TYPE;
  if (!HEADER_SAFE.test(contentType)) {
    throw new StorageError(ErrorCode.ValidationFailed, 'content type must be 1-255 printable ASCII characters', key);
  }
  return contentType;
}
