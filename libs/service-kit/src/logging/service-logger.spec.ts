import { createServiceLogger } from '../service-logger';
import { clearSecretValues, registerSecretValues } from './secret-redaction';
import { requestContext } from './request-context';
import { startTracing } from '../tracing/tracing-setup';

interface Line {
  time: string;
  level: string;
  service: string;
  instance: string;
  msg: string;
  [field: string]: unknown;
}

function setup(level = 'debug', config?: Record<string, unknown>) {
  const written: string[] = [];
  const sut = createServiceLogger('gateway', level, { instance: 'gateway-1', config, destination: { write: (line: string) => void written.push(line) } });
  const lines = () => written.map((line) => JSON.parse(line) as Line);
  return { sut, mocks: { written }, lines };
}

const MASTER_KEY = 'pb_master-key-of-the-redaction-test-0123456789';
const DATABASE_PASSWORD = 'db-pass"word\\with-quotes';
const INTERNAL_TOKEN = 'internal-token-0123456789abcdef';

describe('ServiceLogger', () => {
  afterEach(() => clearSecretValues());

  it('writes one JSON object per line with time, level name, service, instance and msg', () => {
    const { sut, mocks, lines } = setup();
    sut.log('engine started s1 gen 3 at 1700000000000', 'Sessions');
    sut.warn('slow');
    expect(mocks.written).toHaveLength(2);
    expect(mocks.written.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
    const [first, second] = lines();
    expect(first).toMatchObject({ level: 'info', service: 'gateway', instance: 'gateway-1', context: 'Sessions' });
    // Tests and operators grep the text: it stays whole inside msg.
    expect(first.msg).toBe('engine started s1 gen 3 at 1700000000000');
    expect(Number.isNaN(Date.parse(first.time))).toBe(false);
    expect(second.level).toBe('warn');
  });

  it('applies LOG_LEVEL', () => {
    const { sut, lines } = setup('warn');
    sut.debug('hidden');
    sut.log('hidden too');
    sut.warn('shown');
    sut.error('shown as well');
    expect(lines().map((l) => l.msg)).toEqual(['shown', 'shown as well']);
  });

  it("follows Nest's conventions for context, stack traces, errors and objects", () => {
    const { sut, lines } = setup();
    const error = new Error('boom');
    sut.error('failed', error.stack, 'Webhooks');
    sut.error(error);
    sut.log({ msg: 'counted', count: 3 });
    const [withStack, fromError, fromObject] = lines();
    expect(withStack).toMatchObject({ level: 'error', msg: 'failed', context: 'Webhooks' });
    expect(withStack.stack).toContain('at ');
    expect(fromError).toMatchObject({ msg: 'boom', error: { type: 'Error', message: 'boom' } });
    expect(fromObject).toMatchObject({ msg: 'counted', count: 3 });
  });

  it('names the request of the async flow writing the line', async () => {
    // The request travels in the OpenTelemetry context, which needs the context manager tracing installs.
    startTracing({ serviceName: 'test', version: '0.0.0', instanceId: 'test-1' });
    const { sut, lines } = setup();
    await requestContext.run({ requestId: 'req-1', sessionId: 's1' }, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      sut.log('inside');
    });
    sut.log('outside');
    expect(lines()[0]).toMatchObject({ requestId: 'req-1', sessionId: 's1' });
    expect(lines()[1].requestId).toBeUndefined();
  });

  it('never writes a secret: not the master key, an Authorization header, nor a database password', () => {
    const { sut, mocks, lines } = setup('debug', { API_MASTER_KEY: MASTER_KEY, DATABASE_PASSWORD, INTERNAL_TOKEN, DATABASE_USERNAME: 'postgres' });
    sut.log(`admin key configured: ${MASTER_KEY}`);
    sut.log({ msg: 'incoming request', headers: { authorization: `Bearer ${MASTER_KEY}`, 'x-api-key': MASTER_KEY, accept: 'application/json' } });
    sut.warn(`header echo: Authorization: Bearer ${MASTER_KEY}`);
    sut.error(new Error(`connect to postgres://app:${DATABASE_PASSWORD}@db:5432/plugboard failed`));
    sut.debug('config', { DATABASE_PASSWORD, INTERNAL_TOKEN, nested: { deeper: { apiKey: 'short', keyHash: 'abc' } } });
    sut.log(`password in a sentence: ${DATABASE_PASSWORD} and ${JSON.stringify(DATABASE_PASSWORD)}`);
    sut.log('some other bearer', `Bearer eyJhbGciOiJIUzI1NiJ9.unrelated-token`);

    const output = mocks.written.join('');
    for (const secret of [MASTER_KEY, DATABASE_PASSWORD, JSON.stringify(DATABASE_PASSWORD).slice(1, -1), INTERNAL_TOKEN, 'eyJhbGciOiJIUzI1NiJ9']) {
      expect(output).not.toContain(secret);
    }
    expect(output).toContain('[redacted]');
    // Redaction keeps the rest of the line readable, and user names are not treated as secrets.
    const [, request] = lines();
    expect(request.headers).toEqual({ authorization: '[redacted]', 'x-api-key': '[redacted]', accept: 'application/json' });
    expect(lines()[3].msg).toContain('postgres://app:[redacted]@db:5432/plugboard');
    expect(lines()[4].details).toEqual([{ DATABASE_PASSWORD: '[redacted]', INTERNAL_TOKEN: '[redacted]', nested: { deeper: { apiKey: '[redacted]', keyHash: '[redacted]' } } }]);
  });

  it('prints a value that is no configured secret, such as a key generated on first boot (the one intended disclosure)', () => {
    registerSecretValues({ METRICS_TOKEN: 'metrics-token-0123456789', INTERNAL_TOKEN });
    const { sut, mocks } = setup('info');
    const generated = 'pb_generated-on-first-boot-0123456789abcdefghijklmnopq';
    sut.log(`Admin API key (generated, saved in /data/.api-key): ${generated}`);
    sut.log(`metrics token metrics-token-0123456789, internal ${INTERNAL_TOKEN}`);
    const output = mocks.written.join('');
    expect(output).toContain(generated);
    expect(output).not.toContain('metrics-token-0123456789');
    expect(output).not.toContain(INTERNAL_TOKEN);
  });
});
