import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigAdminService } from './config-admin.service';

function setup(env: Record<string, string> = {}, dotenv?: string) {
  const cwd = mkdtempSync(join(tmpdir(), 'pb-config-admin-'));
  if (dotenv !== undefined) writeFileSync(join(cwd, '.env'), dotenv);
  const file = join(cwd, 'data', '.env.generated');
  return { sut: new ConfigAdminService({ env, cwd }), file, read: () => readFileSync(file, 'utf8') };
}

const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (error: { code: string; details: { problems: unknown[] } }) => error);

describe('ConfigAdminService', () => {
  it('shows effective values per section, secrets only as <NAME>Set, and what env/.env pin', async () => {
    const { sut } = setup({ PORT: '4000', DATABASE_PASSWORD: 'hunter2' }, 'LOG_LEVEL=warn\n');
    await sut.put({ bus: { BUS_TYPE: 'nats', NATS_URL: 'nats://user:pw@127.0.0.1:4222' } });
    const view = sut.view();
    expect(view.sections.general).toMatchObject({ PORT: 4000, LOG_LEVEL: 'warn', API_MASTER_KEYSet: false });
    expect(view.sections.general).not.toHaveProperty('API_MASTER_KEY');
    expect(view.sections.database).toMatchObject({ DATABASE_TYPE: 'sqlite', DATABASE_PASSWORDSet: true, DATABASE_USERNAMESet: false });
    expect(view.sections.bus).toMatchObject({ BUS_TYPE: 'nats', NATS_URL: ['nats://***@127.0.0.1:4222'] });
    expect(JSON.stringify(view)).not.toMatch(/hunter2|pw@/);
    expect(view.envPinned).toEqual(['LOG_LEVEL', 'PORT', 'DATABASE_PASSWORD']);
  });

  it('writes a valid change and says who must restart and what stays pinned', async () => {
    const { sut, file, read } = setup({ PORT: '4000' });
    const reply = await sut.put({ engine: { ENGINE_TYPE: 'simulator' }, general: { PORT: 5000 } });
    expect(reply).toEqual({ written: true, file, changed: ['ENGINE_TYPE', 'PORT'], restartRequired: ['gateway', 'session-worker', 'media-service', 'infra-admin'], envPinned: ['PORT'] });
    expect(read()).toMatch(/^ENGINE_TYPE=simulator\nPORT=5000\n$/m);
    const engineOnly = await sut.put({ engine: { SIMULATOR_ACK_DELAY_MS: '5' } });
    expect(engineOnly.restartRequired).toEqual(['session-worker']);
  });

  it('refuses a change the config schema refuses, validating the merged whole, and writes nothing', async () => {
    const { sut, read } = setup();
    await sut.put({ general: { LOG_LEVEL: 'warn' } });
    const before = read();
    const error = await refusal(sut.put({ database: { DATABASE_TYPE: 'postgres' }, general: { PORT: '99999' } }));
    expect(error?.code).toBe('VALIDATION_FAILED');
    expect(error?.details.problems).toEqual([
      expect.objectContaining({ variable: 'PORT', message: 'must be between 1 and 65535' }),
      expect.objectContaining({ variable: 'DATABASE_HOST', message: expect.stringContaining('required when DATABASE_TYPE=postgres') }),
    ]);
    expect(read()).toBe(before);
  });

  it('refuses a line break before anything else is looked at', async () => {
    const { sut, read } = setup();
    await sut.put({ general: { LOG_LEVEL: 'warn' } });
    const before = read();
    const error = await refusal(sut.put({ general: { LOG_LEVEL: 'info\nAPI_MASTER_KEY=aaaaaaaaaaaaaaaaaaaaaaaaaaaa' } }));
    expect(error?.details.problems).toEqual([expect.objectContaining({ variable: 'LOG_LEVEL', message: expect.stringContaining('line break') })]);
    expect(read()).toBe(before);
  });
});
