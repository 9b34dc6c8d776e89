import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeEnvFile } from './env-file';

describe('mergeEnvFile', () => {
  const fresh = () => mkdtempSync(join(tmpdir(), 'pb-envfile-'));

  it('creates the file (and its folder) with mode 0600', async () => {
    const path = join(fresh(), 'data', '.env.generated');
    await mergeEnvFile(path, { STORAGE_TYPE: 's3' });
    expect(readFileSync(path, 'utf8')).toBe('STORAGE_TYPE=s3\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('replaces a key in place and keeps every other line, comments included', async () => {
    const dir = fresh();
    const path = join(dir, '.env.generated');
    writeFileSync(path, '# written by infra-admin\nBUS_TYPE=nats\nexport STORAGE_TYPE=local\nNATS_URL=nats://127.0.0.1:4222\n', { mode: 0o644 });
    await mergeEnvFile(path, { STORAGE_TYPE: 's3', S3_BUCKET: 'media' });
    expect(readFileSync(path, 'utf8')).toBe('# written by infra-admin\nBUS_TYPE=nats\nSTORAGE_TYPE=s3\nNATS_URL=nats://127.0.0.1:4222\nS3_BUCKET=media\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['.env.generated']);
  });

  it('does not touch keys that merely start with the same name', async () => {
    const path = join(fresh(), '.env.generated');
    writeFileSync(path, 'STORAGE_TYPE_OLD=x\n');
    await mergeEnvFile(path, { STORAGE_TYPE: 'local' });
    expect(readFileSync(path, 'utf8')).toBe('STORAGE_TYPE_OLD=x\nSTORAGE_TYPE=local\n');
  });
});
