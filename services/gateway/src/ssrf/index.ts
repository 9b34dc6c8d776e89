export * from './ssrf-guard';
export * from './ssrf.errors';
export * from './pinned-dispatcher-pool';
export { blockedRange, embeddedIpv4, BLOCKED_IPV4, BLOCKED_IPV6 } from './blocked-ranges';
