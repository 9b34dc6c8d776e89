import type { AppConfig } from '@plugboard/config';
import { parseAllowedHosts } from '../ssrf';

/** The webhook part of the configuration, parsed once. */
export class WebhookSettings {
  constructor(
    readonly timeoutMs: number,
    readonly maxPayloadBytes: number,
    readonly concurrency: number,
    readonly allowedHosts: readonly string[],
  ) {}

  static fromConfig(config: Pick<AppConfig, 'WEBHOOK_TIMEOUT_MS' | 'WEBHOOK_MAX_PAYLOAD_BYTES' | 'WEBHOOK_CONCURRENCY' | 'SSRF_ALLOWED_HOSTS'>): WebhookSettings {
    return new WebhookSettings(
      config.WEBHOOK_TIMEOUT_MS,
      config.WEBHOOK_MAX_PAYLOAD_BYTES,
      config.WEBHOOK_CONCURRENCY,
      parseAllowedHosts(config.SSRF_ALLOWED_HOSTS),
    );
  }
}
