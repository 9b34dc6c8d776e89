import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_VARIABLES, ConfigSchema } from '@plugboard/config';
import { parse as parseDotenv } from 'dotenv';
import { sharedVariables } from './support/config-coverage';
import { ROOT, composeConfig, dockerComposeInstalled, toolAvailable } from './support/render';

const SERVICES = ['gateway', 'session-worker', 'media-service', 'infra-admin'];
const HTTP_PORTS: Record<string, string> = { 'session-worker': '3001', 'media-service': '3002', 'infra-admin': '3003' };
/** The shell running the tests may export Plugboard variables (CI does); Compose would interpolate them. */
const cleanEnv = Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, '']));

describe.runIf(toolAvailable('docker-compose', dockerComposeInstalled()))('docker-compose.yml', () => {
  const { services } = composeConfig(cleanEnv);

  it('is valid for docker-compose config', () => {
    expect(Object.keys(services).sort()).toEqual(['gateway', 'infra-admin', 'media-service', 'minio', 'nats', 'postgres', 'redis', 'session-worker']);
  });

  it('puts the bundled backends behind their profiles, NATS always on', () => {
    expect(services.nats.profiles).toBeUndefined();
    for (const backend of ['redis', 'postgres', 'minio']) expect(services[backend].profiles).toEqual([backend]);
  });

  it('publishes only the gateway port', () => {
    const published = Object.entries(services).filter(([, service]) => service.ports?.length).map(([name]) => name);
    expect(published).toEqual(['gateway']);
  });

  it.each(SERVICES)('%s waits for a healthy NATS and drains longer than SHUTDOWN_TIMEOUT_MS', (name) => {
    expect(services[name].depends_on?.nats).toEqual({ condition: 'service_healthy' });
    expect(services[name].stop_grace_period).toBe('30s');
  });

  it.each(SERVICES)('%s receives every variable the code reads', (name) => {
    const environment = services[name].environment ?? {};
    const expected = HTTP_PORTS[name] ? [...sharedVariables(), 'HTTP_PORT'] : sharedVariables();
    expect(expected.filter((variable) => !(variable in environment))).toEqual([]);
    if (HTTP_PORTS[name]) expect(String(environment.HTTP_PORT)).toBe(HTTP_PORTS[name]);
  });

  it('starts without a .env: every service configuration it produces is valid', () => {
    for (const name of SERVICES) {
      const environment = Object.fromEntries(
        Object.entries(services[name].environment ?? {}).map(([key, value]) => [key, value === '' || value === null ? undefined : String(value)]),
      );
      const parsed = ConfigSchema.safeParse(environment);
      expect(parsed.error?.issues ?? []).toEqual([]);
    }
  });
});

describe('deploy/compose-bundled.env', () => {
  it('is a valid configuration that uses the bundled backends', () => {
    const env = parseDotenv(readFileSync(resolve(ROOT, 'deploy/compose-bundled.env')));
    const config = ConfigSchema.parse({ ...env, BUS_TYPE: 'nats', NATS_URL: 'nats://nats:4222' });
    expect(config).toMatchObject({ DATABASE_HOST: 'postgres', REDIS_HOST: 'redis', S3_ENDPOINT: 'http://minio:9000' });
    expect(env.COMPOSE_PROFILES).toBe('postgres,redis,minio');
  });
});
