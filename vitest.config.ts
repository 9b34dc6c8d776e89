import { defineConfig } from 'vitest/config';
import swc from 'unplugin-swc';
import { resolve } from 'node:path';
import tsconfig from './tsconfig.base.json';

// Same aliases as the TypeScript paths, so tests import libs exactly as services do.
const alias = Object.fromEntries(
  Object.entries(tsconfig.compilerOptions.paths).map(([name, [target]]) => [name, resolve(__dirname, target)]),
);

export default defineConfig({
  // SWC, not esbuild: Nest dependency injection needs decorator metadata.
  plugins: [swc.vite({ swcrc: false, jsc: { transform: { legacyDecorator: true, decoratorMetadata: true } } })],
  resolve: { alias },
  test: {
    globals: true,
    include: ['libs/**/*.spec.ts', 'libs/**/*.int-spec.ts', 'services/**/*.spec.ts', 'services/**/*.int-spec.ts', 'test/**/*.spec.ts', 'test/**/*.int-spec.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration suites share real backends; files run in parallel forks, each with its own prefixes.
    pool: 'forks',
    fileParallelism: true,
  },
});
