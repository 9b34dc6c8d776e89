/** The four deployables. Health, queue groups and logs name them exactly so. */
export const SERVICE_NAMES = ['gateway', 'session-worker', 'media-service', 'infra-admin'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
