export * from './infra-admin.module';
