import { execSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ESLint } from 'eslint';

// The boundaries of the architecture are enforced by lint; this proves the rule bites.
const root = resolve(__dirname, '..');

async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: resolve(root, file) });
  return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries', () => {
  beforeAll(() => {
    // The rule reads the Nx project graph; make sure it is computed.
    execSync('npx nx show projects', { cwd: root, stdio: 'ignore' });
  }, 60_000);

  it('refuses a lib importing a service', async () => {
    const errors = await boundaryErrors('libs/messaging/src/bad.ts', "import '../../../services/gateway/src/main';\n");
    expect(errors.length).toBeGreaterThan(0);
  });

  it('refuses contracts importing another lib of ours', async () => {
    const errors = await boundaryErrors('libs/contracts/src/bad.ts', "export { BusPort } from '@plugboard/messaging';\n");
    expect(errors.length).toBeGreaterThan(0);
  });

  it('lets a service import libs', async () => {
    const errors = await boundaryErrors('services/gateway/src/ok.ts', "export { QueueName } from '@plugboard/contracts';\n");
    expect(errors).toEqual([]);
  });
});
