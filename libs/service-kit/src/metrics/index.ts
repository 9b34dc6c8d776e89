export * from './metrics.service';
export * from './metrics-hub';
export * from './metrics-exposition';
export * from './http-metrics';
