import type { AppConfig } from '@plugboard/config';
import { FallbackStorageAdapter } from './fallback-storage.adapter';
import { LocalStorageAdapter } from './local-storage.adapter';
import { S3StorageAdapter } from './s3-storage.adapter';
import { StoragePort } from './storage.port';

type StorageVariables =
  | 'STORAGE_LOCAL_PATH'
  | 'S3_ENDPOINT'
  | 'S3_BUCKET'
  | 'S3_REGION'
  | 'S3_ACCESS_KEY_ID'
  | 'S3_SECRET_ACCESS_KEY'
  | 'S3_KEY_PREFIX'
  | 'S3_REPROBE_INTERVAL_MS';

/** The config keys the files socket reads; the validated `AppConfig` fits as it is. Selectors are plain strings so a bad value reaches the factory's error. */
export type StorageConfig = Pick<AppConfig, StorageVariables> & { STORAGE_TYPE: string; STORAGE_FALLBACK: string };

/**
 * Picks the files plug from STORAGE_TYPE (`local` or `s3`) and, for S3, STORAGE_FALLBACK
 * (`none`: an outage fails puts with STORAGE_UNAVAILABLE; `local`: puts land in
 * STORAGE_LOCAL_PATH meanwhile). Anything else throws, never a silent default. Call `open()`
 * on the result before use.
 */
export function createStorage(config: StorageConfig): StoragePort {
  switch (config.STORAGE_TYPE) {
    case 'local':
      return new LocalStorageAdapter({ root: config.STORAGE_LOCAL_PATH });
    case 's3':
      return withFallback(config, createS3(config));
    default:
      throw new Error(`Unsupported STORAGE_TYPE "${config.STORAGE_TYPE}": expected local or s3`);
  }
}

function withFallback(config: StorageConfig, s3: S3StorageAdapter): StoragePort {
  switch (config.STORAGE_FALLBACK) {
    case 'none':
      return s3;
    case 'local':
      return new FallbackStorageAdapter(s3, new LocalStorageAdapter({ root: config.STORAGE_LOCAL_PATH }), config.STORAGE_LOCAL_PATH);
    default:
      throw new Error(`Unsupported STORAGE_FALLBACK "${config.STORAGE_FALLBACK}": expected none or local`);
  }
}

function createS3(config: StorageConfig): S3StorageAdapter {
  const { S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY } = config;
  if (!S3_ENDPOINT || !S3_BUCKET || !S3_ACCESS_KEY_ID || !S3_SECRET_ACCESS_KEY) {
    const missing = Object.entries({ S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY })
      .filter(([, value]) => !value)
      .map(([name]) => name);
    throw new Error(`STORAGE_TYPE=s3 needs ${missing.join(', ')}`);
  }
  return new S3StorageAdapter({
    endpoint: S3_ENDPOINT,
    bucket: S3_BUCKET,
    region: config.S3_REGION,
    accessKey: S3_ACCESS_KEY_ID,
    secretKey: S3_SECRET_ACCESS_KEY,
    keyPrefix: config.S3_KEY_PREFIX,
    reprobeIntervalMs: config.S3_REPROBE_INTERVAL_MS,
  });
}
