import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(__dirname, '../../../..');
const NODE_MODULES = join(REPO_ROOT, 'node_modules');
let buildDir: string;
let workDir: string;

/** Runs `loadConfigOrExit()` from the compiled library in a fresh node with exactly `env`. */
function runChild(env: Record<string, string>) {
  const entry = join(buildDir, 'libs/config/src/index.js');
  const script = `const c = require(${JSON.stringify(entry)}).loadConfigOrExit(); process.stdout.write(JSON.stringify(c));`;
  return spawnSync(process.execPath, ['-e', script], {
    cwd: workDir,
    // NODE_PATH: the compiled output sits outside the repository, yet needs its packages.
    env: { PATH: process.env.PATH ?? '', NODE_PATH: NODE_MODULES, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
}

beforeAll(() => {
  buildDir = mkdtempSync(join(tmpdir(), 'plugboard-config-build-'));
  workDir = mkdtempSync(join(tmpdir(), 'plugboard-config-cwd-'));
  // The repository's own SWC setup (path aliases included), as `npm run build` uses it.
  execFileSync(
    join(NODE_MODULES, '.bin', 'swc'),
    ['libs/config/src', 'libs/contracts/src', '-d', buildDir, '--config-file', '.swcrc', '--quiet'],
    { cwd: REPO_ROOT, stdio: 'pipe' },
  );
});

afterAll(() => {
  for (const dir of [buildDir, workDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('loadConfigOrExit in a real process', () => {
  it('prints every problem without a stack trace and exits non-zero', () => {
    const child = runChild({ BUS_TYPE: 'kafka', PORT: 'abc' });
    expect(child.status).not.toBe(0);
    expect(child.status).not.toBeNull();
    expect(child.stderr).toContain('Invalid configuration (2 problems):');
    expect(child.stderr).toContain('BUS_TYPE="kafka"');
    expect(child.stderr).toContain('PORT="abc"');
    expect(child.stderr).not.toMatch(/^ {4}at /m);
    expect(child.stdout).toBe('');
  });

  it('returns the config and stays quiet when it is valid', () => {
    const child = runChild({ BUS_TYPE: 'nats', NATS_URL: 'nats://127.0.0.1:4222', PORT: '3100' });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout)).toMatchObject({ BUS_TYPE: 'nats', NATS_URL: ['nats://127.0.0.1:4222'], PORT: 3100 });
  });
});
