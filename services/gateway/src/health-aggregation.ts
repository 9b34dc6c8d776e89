import { HealthStatus, SERVICE_NAMES, ServiceHealth, ServiceName, worstStatus } from '@plugboard/contracts';

export type OverallStatus = 'ok' | 'degraded' | 'down';

/** The public `/health` body: no instance ids, versions or socket details. */
export interface HealthSummary {
  status: OverallStatus;
  services: Partial<Record<ServiceName, HealthStatus>>;
  checkedAt: string;
}

/** The admin `/api/infra/status` body: every answering instance with its sockets. */
export interface InfraStatus {
  status: OverallStatus;
  checkedAt: string;
  services: Partial<Record<ServiceName, { status: HealthStatus; instances: ServiceHealth[] }>>;
}

/** An instance that is draining (`ready: false`) counts as down: it no longer takes work. */
export function instanceStatus(instance: ServiceHealth): HealthStatus {
  return instance.ready ? instance.status : 'down';
}

/**
 * One service from the replies of its instances: `down` with no answering instance or all of
 * them down, `degraded` when some are down or any is degraded, else `up`. An instance that
 * stopped answering cannot be told apart from one scaled away, so only replies count.
 */
export function serviceStatus(instances: ServiceHealth[]): HealthStatus {
  const states = instances.map(instanceStatus);
  if (states.length === 0 || states.every((s) => s === 'down')) return 'down';
  return states.includes('down') ? 'degraded' : worstStatus(states);
}

/** `down` when an expected service is down; `degraded` when any listed service is not `up`. */
export function overallStatus(services: Partial<Record<ServiceName, HealthStatus>>, expected: readonly ServiceName[]): OverallStatus {
  if (expected.some((name) => (services[name] ?? 'down') === 'down')) return 'down';
  return Object.values(services).every((s) => s === 'up') ? 'ok' : 'degraded';
}

/** Groups replies by service; expected services without a reply are listed with no instances. */
export function groupByService(replies: ServiceHealth[], expected: readonly ServiceName[]): Map<ServiceName, ServiceHealth[]> {
  const groups = new Map<ServiceName, ServiceHealth[]>();
  for (const name of SERVICE_NAMES) {
    const instances = replies.filter((r) => r.service === name).sort((a, b) => a.instanceId.localeCompare(b.instanceId));
    if (instances.length > 0 || expected.includes(name)) groups.set(name, instances);
  }
  return groups;
}

/** The public summary of one gather. */
export function summarize(replies: ServiceHealth[], expected: readonly ServiceName[], checkedAt: Date): HealthSummary {
  const services: Partial<Record<ServiceName, HealthStatus>> = {};
  for (const [name, instances] of groupByService(replies, expected)) services[name] = serviceStatus(instances);
  return { status: overallStatus(services, expected), services, checkedAt: checkedAt.toISOString() };
}

/** The detailed admin view of one gather. */
export function infraStatus(replies: ServiceHealth[], expected: readonly ServiceName[], checkedAt: Date): InfraStatus {
  const services: InfraStatus['services'] = {};
  for (const [name, instances] of groupByService(replies, expected)) services[name] = { status: serviceStatus(instances), instances };
  const statuses = Object.fromEntries(Object.entries(services).map(([name, s]) => [name, s.status]));
  return { status: overallStatus(statuses, expected), checkedAt: checkedAt.toISOString(), services };
}
