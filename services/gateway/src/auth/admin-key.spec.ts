import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_KEY_FILE, AdminKey, resolveAdminKey } from './admin-key';

function setup() {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'pb-admin-key-')), 'nested', 'data');
  return { sut: resolveAdminKey, mocks: { dataDir, file: join(dataDir, ADMIN_KEY_FILE) } };
}

describe('resolveAdminKey', () => {
  it('generates a pb_ key of 32 random bytes into DATA_DIR/.api-key with mode 0600', async () => {
    const { sut, mocks } = setup();
    const key = await sut({ DATA_DIR: mocks.dataDir, API_MASTER_KEY: undefined });
    expect(key.source).toBe('generated');
    expect(key.value).toMatch(/^pb_[A-Za-z0-9_-]{43}$/);
    expect(readFileSync(mocks.file, 'utf8').trim()).toBe(key.value);
    expect(statSync(mocks.file).mode & 0o777).toBe(0o600);
  });

  it('reuses the saved key on later boots', async () => {
    const { sut, mocks } = setup();
    const first = await sut({ DATA_DIR: mocks.dataDir, API_MASTER_KEY: undefined });
    const second = await sut({ DATA_DIR: mocks.dataDir, API_MASTER_KEY: undefined });
    expect(second).toMatchObject({ value: first.value, source: 'file', file: mocks.file });
  });

  it('prefers API_MASTER_KEY and writes no file', async () => {
    const { sut, mocks } = setup();
    const key = await sut({ DATA_DIR: mocks.dataDir, API_MASTER_KEY: 'a-master-key-of-24-chars!' });
    expect(key).toMatchObject({ value: 'a-master-key-of-24-chars!', source: 'env' });
    expect(() => statSync(mocks.file)).toThrow();
  });

  it('reads a key someone else wrote first', async () => {
    const { sut, mocks } = setup();
    await sut({ DATA_DIR: mocks.dataDir, API_MASTER_KEY: undefined });
    writeFileSync(mocks.file, 'pb_written-by-another-process\n');
    await expect(sut({ DATA_DIR: mocks.dataDir, API_MASTER_KEY: undefined })).resolves.toMatchObject({ value: 'pb_written-by-another-process' });
  });
});

describe('AdminKey.matches', () => {
  it('accepts only the exact key, whatever the length of the candidate', () => {
    const key = new AdminKey('pb_secret', 'env');
    expect(key.matches('pb_secret')).toBe(true);
    expect(key.matches('pb_secreT')).toBe(false);
    expect(key.matches('')).toBe(false);
    expect(key.matches('pb_secret-and-more')).toBe(false);
  });
});
