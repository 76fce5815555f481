import type { ParseArgsConfig } from 'node:util';

/** The dedup benchmark's own options (parsed with the shared ones by bench/main.ts). */
export const DEDUP_OPTIONS: ParseArgsConfig['options'] = {
  'previous-bucket': { type: 'string' },
  sizes: { type: 'string' },
  impls: { type: 'string' },
  'steady-state': { type: 'boolean' },
  rate: { type: 'string' },
};

/** The rate `--steady-state` fills the buckets for by default, keys/s: 5.04 M keys in a 1 h window. */
export const STEADY_STATE_RATE = 1_400;

/** The batch sizes the bench runs by default. */
export const DEDUP_SIZES = [100, 1_000, 10_000] as const;

/** Help lines for {@link DEDUP_OPTIONS}. */
export const DEDUP_USAGE = `    --previous-bucket N  first fill each group's previous dedup bucket with N keys (default 0):
                         a group that has run for longer than its window (1 h) reads two buckets
                         per claim, the current one and the previous one
    --steady-state       first fill each group's buckets as at steady state: the previous bucket
                         holds a window (1 h) of keys at --rate, the current one half of that;
                         adds previous/current bucket, bytes per key and Redis ms per batch
    --rate R             keys/s for --steady-state (default 1400: 5.04 M + 2.52 M keys)
    --sizes A,B          batch sizes to run (default 100,1000,10000)
    --impls X,Y          rows to run, by impl name (default all: mskguard-resp, mskguard-resp+bloom,
                         mskguard-resp+bloom-log, mskguard-upstash, powertools); for A/B runs of one
                         engine against another;
                         mskguard-cluster-shards3 (the stack's Redis Cluster, 3 cache shards) runs
                         only when named`;

/** `--steady-state [--rate R]`, validated: the fill rate in keys/s, or undefined without --steady-state. */
export function steadyStateRate(values: Record<string, unknown>): number | undefined {
  const raw = values.rate;
  if (values['steady-state'] !== true) {
    if (raw !== undefined) throw new Error('--rate goes with --steady-state');
    return undefined;
  }
  if (values['previous-bucket'] !== undefined) {
    throw new Error('--steady-state fills the previous bucket itself: leave out --previous-bucket');
  }
  if (raw === undefined) return STEADY_STATE_RATE;
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(n) || n < 1 || n > 2_500) {
    throw new Error(`--rate must be a whole number of keys/s from 1 to 2,500, got ${String(raw)}`);
  }
  return n;
}

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

/** `--sizes`, validated: batch sizes from 1 to 10,000 (Lambda's largest Kafka batch). */
export function batchSizes(values: Record<string, unknown>): number[] {
  const raw = values.sizes;
  if (raw === undefined) return [...DEDUP_SIZES];
  const sizes = String(raw).split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 10_000)) {
    throw new Error(`--sizes must be batch sizes from 1 to 10,000, separated by commas; got ${String(raw)}`);
  }
  return sizes;
}

/** `--impls`: the rows to run, or undefined for all of them. */
export function implFilter(values: Record<string, unknown>): ((impl: string) => boolean) | undefined {
  const raw = values.impls;
  if (raw === undefined) return undefined;
  const wanted = new Set(String(raw).split(','));
  return (impl) => wanted.has(impl);
}
