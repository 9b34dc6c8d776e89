const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses a retention like `30m`, `24h` or `7d` (units s, m, h, d) into milliseconds. */
export function parseDurationMs(raw: string): number {
  const match = /^(\d+)([smhd])$/.exec(raw.trim());
  const amount = match ? Number(match[1]) : 0;
  if (!match || amount <= 0) {
    throw new RangeError(`invalid duration "${raw}": expected a positive number with unit s, m, h or d, e.g. 30m, 24h, 7d`);
  }
  return amount * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
