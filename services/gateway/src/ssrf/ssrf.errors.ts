import { ErrorCode } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';

/** Why a URL was refused; `details.reason` carries one of these. */
export type SsrfRefusal = 'scheme' | 'invalid_url' | 'blocked_address' | 'unresolvable' | 'credentials';

/** A URL the SSRF guard refused: 400 SSRF_BLOCKED with the host, the reason and the offending address. */
export class SsrfBlockedError extends ServiceError {
  constructor(message: string, details: { reason: SsrfRefusal; host?: string; address?: string; range?: string }) {
    super(ErrorCode.SsrfBlocked, message, details);
    this.name = 'SsrfBlockedError';
  }
}
