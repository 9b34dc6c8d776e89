import type { HealthStatus, ServiceHealth } from '@plugboard/contracts';
import type { Command } from '../command';
import { formatDuration } from '../byte-format';

/** The parts of `GET /api/infra/status` the table shows. */
interface InfraStatusBody {
  status: string;
  checkedAt: string;
  services: Record<string, { status: HealthStatus; instances: ServiceHealth[] }>;
}

/** `plugboard status`: every instance of every service, one line each. */
export const statusCommand: Command = {
  name: 'status',
  summary: 'Show every service instance and the state of its sockets',
  usage: 'status',
  help: [],
  options: {},
  args: [],
  async run(context) {
    const body = await context.client().json<InfraStatusBody>('GET', '/api/infra/status');
    context.out(`overall: ${body.status} (checked ${body.checkedAt})`);
    for (const line of statusTable(body)) context.out(line);
  },
};

/** Aligned rows: service, instance, status, version, uptime, sockets that are not up. */
export function statusTable(body: InfraStatusBody): string[] {
  const rows: string[][] = [['SERVICE', 'INSTANCE', 'STATUS', 'VERSION', 'UPTIME', 'SOCKETS']];
  for (const [service, { status, instances }] of Object.entries(body.services)) {
    if (instances.length === 0) rows.push([service, '-', status, '-', '-', 'no instance answered']);
    for (const instance of instances) {
      const state = instance.ready ? instance.status : `${instance.status} (draining)`;
      const sockets = instance.sockets.map((s) => (s.status === 'up' ? `${s.socket}:${s.plug}` : `${s.socket}:${s.plug}=${s.status}`));
      rows.push([service, instance.instanceId, state, instance.version, formatDuration(instance.uptimeSeconds), sockets.join(' ')]);
    }
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  '));
}
