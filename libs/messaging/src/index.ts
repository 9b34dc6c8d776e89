export * from './bus/bus.port';
export * from './bus/bus.errors';
export * from './queue/queue.port';
export * from './queue/queue.errors';
