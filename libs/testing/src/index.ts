export * from './backends';
export * from './redis-server';
export * from './nats-server';
export * from './s3-server';
export * from './postgres-database';
export * from './sqlite-database';
export { deleteRedisKeys } from './redis-keys';
