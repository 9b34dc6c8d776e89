import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { chromiumMissingReason } from './wwebjs-failure';

/** Debian's Chromium: the browser the Docker image and CI install. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/** PUPPETEER_EXECUTABLE_PATH when set, else Debian's Chromium. */
export function chromiumPath(configured: string | undefined): string {
  return configured ?? DEFAULT_CHROMIUM_PATH;
}

/** Null when `path` is an executable file, else the reason it cannot be used. */
export async function chromiumProblem(path: string): Promise<string | null> {
  try {
    await access(path, constants.X_OK);
    return null;
  } catch {
    return chromiumMissingReason(path);
  }
}

/** PUPPETEER_ARGS split on whitespace. */
export function chromiumArgs(raw: string): string[] {
  return raw.split(/\s+/).filter(Boolean);
}
