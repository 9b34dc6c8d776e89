export * from './services';
export * from './errors';
export * from './health';
export * from './events';
export * from './queues';
export * from './subjects';
