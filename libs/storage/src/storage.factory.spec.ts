import { FallbackStorageAdapter } from './fallback-storage.adapter';
import { LocalStorageAdapter } from './local-storage.adapter';
import { S3StorageAdapter } from './s3-storage.adapter';
import { createStorage, type StorageConfig } from './storage.factory';

function config(overrides: Partial<StorageConfig> = {}): StorageConfig {
  return {
    STORAGE_TYPE: 'local',
    STORAGE_FALLBACK: 'none',
    STORAGE_LOCAL_PATH: './data/media',
    S3_ENDPOINT: 'http://127.0.0.1:9000',
    S3_BUCKET: 'media',
    S3_REGION: 'us-east-1',
    S3_ACCESS_KEY_ID: 'key',
    S3_SECRET_ACCESS_KEY: 'secret',
    S3_KEY_PREFIX: '',
    S3_REPROBE_INTERVAL_MS: 60_000,
    ...overrides,
  };
}

describe('createStorage', () => {
  it('picks the local plug', () => {
    expect(createStorage(config())).toBeInstanceOf(LocalStorageAdapter);
  });

  it('picks the S3 plug, alone or wrapped with the local fallback', () => {
    expect(createStorage(config({ STORAGE_TYPE: 's3' }))).toBeInstanceOf(S3StorageAdapter);
    const wrapped = createStorage(config({ STORAGE_TYPE: 's3', STORAGE_FALLBACK: 'local' }));
    expect(wrapped).toBeInstanceOf(FallbackStorageAdapter);
    expect(wrapped.plug).toBe('s3+local-fallback');
  });

  it('throws on an unknown STORAGE_TYPE instead of falling back', () => {
    expect(() => createStorage(config({ STORAGE_TYPE: 'ftp' }))).toThrow('Unsupported STORAGE_TYPE "ftp": expected local or s3');
  });

  it('throws on an unknown STORAGE_FALLBACK', () => {
    expect(() => createStorage(config({ STORAGE_TYPE: 's3', STORAGE_FALLBACK: 'memory' }))).toThrow(
      'Unsupported STORAGE_FALLBACK "memory": expected none or local',
    );
  });

  it('names every missing S3 variable', () => {
    expect(() => createStorage(config({ STORAGE_TYPE: 's3', S3_BUCKET: undefined, S3_SECRET_ACCESS_KEY: undefined }))).toThrow(
      'STORAGE_TYPE=s3 needs S3_BUCKET, S3_SECRET_ACCESS_KEY',
    );
  });

  it('refuses an S3_KEY_PREFIX that is not a valid key', () => {
    expect(() => createStorage(config({ STORAGE_TYPE: 's3', S3_KEY_PREFIX: '../up' }))).toThrow(/invalid storage key/);
  });
});
