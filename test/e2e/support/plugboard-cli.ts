import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './build';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `plugboard` CLI (`dist/services/cli/src/main.js`, the package "bin") with
 * exactly `env` plus PATH, and resolves once it exited. `npx: true` runs it as `npx plugboard`.
 */
export function plugboard(args: string[], env: Record<string, string>, options: { npx?: boolean; cwd?: string } = {}): Promise<CliResult> {
  const [command, argv] = options.npx
    ? ['npx', ['plugboard', ...args]]
    : [process.execPath, [join(ROOT, 'dist', 'services', 'cli', 'src', 'main.js'), ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, {
      cwd: options.cwd ?? ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
