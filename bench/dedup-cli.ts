import type { ParseArgsConfig } from 'node:util';

/** The dedup benchmark's own options (parsed with the shared ones by bench/main.ts). */
export const DEDUP_OPTIONS: ParseArgsConfig['options'] = {
  'previous-bucket': { type: 'string' },
};

/** Help lines for {@link DEDUP_OPTIONS}. */
export const DEDUP_USAGE = `    --previous-bucket N  first fill each group's previous dedup bucket with N keys (default 0):
                         a group that has run for longer than its window (1 h) reads two buckets
                         per claim, the current one and the previous one`;

/** `--previous-bucket`, validated: a whole number of keys, 0 (the default) for none. */
export function previousBucketKeys(values: Record<string, unknown>): number {
  const raw = values['previous-bucket'];
  if (raw === undefined) return 0;
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(n) || n < 0 || n > 10_000_000) {
    throw new Error(
      `--previous-bucket must be a whole number of keys from 0 to 10,000,000, got ${String(raw)}`,
    );
  }
  return n;
}
