import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from './kube-schema';

export const ROOT = resolve(__dirname, '..', '..', '..');

/** True when `command` runs here. */
function installed(command: string, versionArgs: string[]): boolean {
  return spawnSync(command, versionArgs, { stdio: 'ignore' }).status === 0;
}

/**
 * Whether a suite that needs `tool` may run. Missing tools skip the suite locally, but under
 * CI=true they fail it, so CI never passes by skipping (as real-backend suites do).
 */
export function toolAvailable(tool: string, present: boolean): boolean {
  if (!present && process.env.CI === 'true') throw new Error(`${tool} is not installed, and CI=true forbids skipping its checks`);
  return present;
}

/** `kubectl kustomize` (kustomize built in) or a standalone `kustomize`, whichever is installed. */
export function kustomizeCommand(): string[] | undefined {
  if (installed('kubectl', ['version', '--client'])) return ['kubectl', 'kustomize'];
  if (installed('kustomize', ['version'])) return ['kustomize', 'build'];
  return undefined;
}

export const dockerComposeInstalled = (): boolean => installed('docker-compose', ['version']);

/** The objects `kustomize build <dir>` renders (dir relative to the repository root). */
export function renderKustomization(command: string[], dir: string): KubeObject[] {
  const [binary, ...args] = command;
  const output = execFileSync(binary, [...args, resolve(ROOT, dir)], { encoding: 'utf8' });
  return parseAllDocuments(output).map((document) => document.toJS() as KubeObject);
}

/** `docker-compose config` of the repository's compose file with the given variables, parsed. */
export function composeConfig(env: Record<string, string> = {}): { services: Record<string, ComposeService> } {
  const output = execFileSync('docker-compose', ['--project-directory', ROOT, '-f', resolve(ROOT, 'docker-compose.yml'), 'config'], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return parseAllDocuments(output)[0].toJS();
}

export interface ComposeService {
  environment?: Record<string, string | null>;
  profiles?: string[];
  ports?: unknown[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: unknown;
  stop_grace_period?: string;
}
