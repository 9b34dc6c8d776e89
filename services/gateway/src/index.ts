export * from './gateway.module';
export * from './admin-key';
