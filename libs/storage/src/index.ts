export * from './storage.port';
export * from './storage.errors';
export * from './storage-key';
export * from './storage.factory';
export * from './storage.module';
export * from './local-storage.adapter';
export * from './s3-storage.adapter';
export * from './fallback-storage.adapter';
