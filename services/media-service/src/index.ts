export * from './media-service.module';
