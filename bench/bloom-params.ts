import type { DistributedBloomParams } from '#shared/dedup/distributed-bloom.ts';
import { resolveOptions } from '#shared/middleware/options.ts';

/** The dedup benchmark's distributed Bloom tier (row mskguard-resp+bloom), as mskGuard's option. */
export const BENCH_BLOOM = { keysPerGeneration: 1_000_000 } as const;

/**
 * The generation parameters mskGuard derives from {@link BENCH_BLOOM} (its defaults: one-day
 * generations, two kept, 2 bytes per key: a 2 MB bitmap), for the benches that drive the tier or
 * its encoders without the middleware: they then measure what the dedup bench's row runs.
 */
export function benchBloomParams(): DistributedBloomParams {
  const { bloom } = resolveOptions({
    consumerGroup: 'bench',
    // Never called: resolving the options only checks that a cache is given.
    cache: () => Promise.reject(new Error('the bench Bloom parameters open no cache')),
    distributedBloom: BENCH_BLOOM,
  });
  if (!bloom) throw new Error('mskGuard resolved no distributed Bloom tier for BENCH_BLOOM');
  return bloom;
}
