export * from './gateway.module';
export * from './auth/admin-key';
