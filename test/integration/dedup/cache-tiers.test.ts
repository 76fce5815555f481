// G5 for a claim that fails after it leased some keys (CacheTiers, dedup/cache.ts): what it leased
// goes back at once when Redis answers, so a retry in any container processes the keys instead of
// meeting them IN_PROGRESS until the lease runs out. Against the real Redis through both adapters;
// with MSKGUARD_TEST_REDIS=cluster the RESP case runs on the stack's Redis Cluster.
import { describe, expect, it } from 'vitest';
import type { ScriptRunner } from '#shared/cache/script-runner.ts';
import { CacheTiers } from '#shared/dedup/cache.ts';
import { ClaimStatus, type TierKey } from '#shared/dedup/exact.ts';
import { ShardedDedupTier, shardOf } from '#shared/dedup/sharded.ts';
import type { DerivedKey } from '#shared/keys/index.ts';
import { ADAPTERS, randomKey } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

const { New } = ClaimStatus;
const HOUR = 3_600_000;
const SHARDS = 2;
const TIMING = { leaseMs: () => 60_000, remainingMs: () => 60_000 };

function keyIn(shard: number): TierKey {
  for (;;) {
    const key = randomKey();
    if (shardOf(key, SHARDS) === shard) return key;
  }
}

describe.each(Object.keys(ADAPTERS) as (keyof typeof ADAPTERS)[])('CacheTiers over %s', (adapter) => {
  it('gives back what one shard leased when the claim fails inside Redis on another (G5)', async () => {
    // Prepare: shard 1's claim fails in Redis itself (its script errors on a window that is not a
    // number), a reply error rather than an outage; shard 0's claim leases its keys.
    const runner = ADAPTERS[adapter]();
    const baseKey = `mskguard:{${uniqueName('ct')}}`;
    const failsOnShard1: ScriptRunner = {
      kind: runner.kind,
      close: async () => {},
      run: (script, keys, args) =>
        script.name === 'claim' && keys[0]?.includes('|s1')
          ? runner.run(
              script,
              keys,
              args.map((a, i) => (i === 2 ? 'not-a-number' : a)),
            )
          : runner.run(script, keys, args),
    };
    const errors: unknown[] = [];
    const tiers = new CacheTiers({
      cache: failsOnShard1,
      baseKey: () => baseKey,
      windowMs: HOUR,
      bloom: undefined,
      shards: SHARDS,
      onCacheUnavailable: 'fail',
      onError: (error) => errors.push(error),
    });
    const keys = [keyIn(0), keyIn(0), keyIn(1)];

    // Act: the claim fails; then another container claims the same keys.
    const failed = await tiers.claim(keys as DerivedKey[], TIMING, 'exact').catch((error: unknown) => error);
    const other = new ShardedDedupTier({ runner, baseKey, windowMs: HOUR, shards: SHARDS });
    const retry = await other.claim(keys, { leaseMs: 60_000, mode: 'exact' });
    await runner.close();

    // Assess: the failure is the script's own error, reported once; shard 0's keys are free.
    expect(failed).toBeInstanceOf(Error);
    expect(String((failed as Error).message)).not.toMatch(/unreachable/i);
    expect(errors).toEqual([failed]);
    expect(retry.statuses).toEqual([New, New, New]);
  });
});
