import { ServiceHealth, SocketHealth, worstStatus } from '@plugboard/contracts';
import { ServiceContext } from '../service-context';

/** A live check of one socket (bus, queue, database, …) as its plug sees it. */
export type SocketProbe = () => Promise<SocketHealth>;

export interface Readiness {
  ready: boolean;
  reason?: string;
  sockets: SocketHealth[];
}

/**
 * Where modules register their socket probes, and the source of this instance's health for
 * `health.ping` and `/health/ready`. Every probe is bounded by a timeout, so one hung socket
 * shows as `down` instead of stalling the answer.
 */
export class HealthRegistry {
  private readonly probes = new Map<string, SocketProbe>();
  private shuttingDown = false;

  constructor(
    private readonly context: ServiceContext,
    private readonly probeTimeoutMs: number,
  ) {}

  /** Adds (or replaces) the probe of a socket. */
  register(socket: string, probe: SocketProbe): void {
    this.probes.set(socket, probe);
  }

  /** Readiness turns false for good: the instance is draining. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Runs every probe at once, each bounded by the probe timeout. */
  checkSockets(): Promise<SocketHealth[]> {
    return Promise.all([...this.probes].map(([socket, probe]) => boundedProbe(socket, probe, this.probeTimeoutMs)));
  }

  /** Ready unless shutting down or a socket is down (degraded still serves). */
  async readiness(): Promise<Readiness> {
    if (this.shuttingDown) return { ready: false, reason: 'shutting down', sockets: [] };
    const sockets = await this.checkSockets();
    const down = sockets.filter((s) => s.status === 'down').map((s) => s.socket);
    return down.length ? { ready: false, reason: `socket down: ${down.join(', ')}`, sockets } : { ready: true, sockets };
  }

  /** What this instance answers to `health.ping`. */
  async serviceHealth(): Promise<ServiceHealth> {
    const sockets = await this.checkSockets();
    const status = worstStatus(sockets.map((s) => s.status));
    return {
      service: this.context.service,
      instanceId: this.context.instanceId,
      version: this.context.version,
      uptimeSeconds: this.context.uptimeSeconds(),
      status,
      ready: !this.shuttingDown && status !== 'down',
      sockets,
    };
  }
}

/** One probe, never slower than `timeoutMs` and never throwing: failure is a `down` socket. */
export async function boundedProbe(socket: string, probe: SocketProbe, timeoutMs: number): Promise<SocketHealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<SocketHealth>((resolve) => {
    timer = setTimeout(
      () => resolve({ socket, plug: 'unknown', status: 'down', detail: `probe timed out after ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([probe(), timeout]);
  } catch (error) {
    return { socket, plug: 'unknown', status: 'down', detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
