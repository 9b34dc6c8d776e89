import { ErrorCode } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';

/**
 * A value safe to echo in a response header or forward in a request header: CR, LF or NUL
 * would let a caller split the header and inject others, so they are refused (400).
 */
export function safeHeaderValue(value: string, name: string): string {
  if (/[\r\n\0]/.test(value)) {
    throw new ServiceError(ErrorCode.ValidationFailed, `header ${name} must not contain CR, LF or NUL characters`, { header: name });
  }
  return value;
}
