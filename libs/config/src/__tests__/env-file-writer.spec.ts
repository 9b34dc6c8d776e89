import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { renderEnvFile, writeEnvFileAtomic } from '..';

describe('writeEnvFileAtomic', () => {
  const fresh = () => mkdtempSync(join(tmpdir(), 'pb-envwriter-'));

  it('writes sorted KEY=value lines after a header, mode 0600, creating the folder', async () => {
    const path = join(fresh(), 'data', '.env.generated');
    await writeEnvFileAtomic(path, { PORT: '4000', DATABASE_TYPE: 'sqlite', LOG_LEVEL: 'warn' });
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n')).toEqual([expect.stringMatching(/^# /), 'DATABASE_TYPE=sqlite', 'LOG_LEVEL=warn', 'PORT=4000', '']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('replaces an existing file (even a world-readable one) and leaves no temp file behind', async () => {
    const dir = fresh();
    const path = join(dir, '.env.generated');
    writeFileSync(path, 'OLD=1\n', { mode: 0o644 });
    await writeEnvFileAtomic(path, { NEW: '2' });
    expect(parseDotenv(readFileSync(path))).toEqual({ NEW: '2' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['.env.generated']);
  });

  it('quotes values so that dotenv reads back exactly what was given', () => {
    const values = { A: 'has # hash', B: "it's", C: '"quoted"', D: ' padded ', E: 'plain', F: `mix ' and "` };
    expect(parseDotenv(renderEnvFile(values))).toEqual(values);
  });

  it('refuses a line break, so one value can never add a variable', () => {
    expect(() => renderEnvFile({ A: 'x\nB=y' })).toThrow(/A: .*line break/);
  });
});
