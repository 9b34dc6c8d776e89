import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_CONFIG, type AppConfig, ConfigModule, InjectConfig, loadConfig } from '..';

@Injectable()
class NeedsConfig {
  constructor(@InjectConfig() readonly config: AppConfig) {}
}

describe('ConfigModule', () => {
  it('injects the given config everywhere under APP_CONFIG', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'plugboard-config-module-'));
    const config = loadConfig({ env: { PORT: '3100' }, cwd });
    rmSync(cwd, { recursive: true, force: true });

    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config)],
      providers: [NeedsConfig],
    }).compile();

    expect(moduleRef.get(APP_CONFIG)).toBe(config);
    expect(moduleRef.get(NeedsConfig).config.PORT).toBe(3100);
    await moduleRef.close();
  });
});
