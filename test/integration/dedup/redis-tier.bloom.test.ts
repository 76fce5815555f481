// G2 against the real Redis through both adapters (RESP and the Upstash REST endpoint): the
// distributed Bloom tier says PROBABLE for keys its generations remember after the exact tier has
// forgotten them, never for keys it has not seen, and one claim leases a dead owner's keys and the
// keys the tier tested together (G4, G5).
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis as IORedis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { sizeDistributedBloom } from '#shared/dedup/distributed-bloom.ts';
import { ClaimStatus, RedisDedupTier } from '#shared/dedup/exact.ts';
import { clearOfBucketEnd } from '#test/support/redis-admin.ts';
import { ADAPTERS, CountingRunner, randomKey } from '#test/support/runners.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const { New, InProgress, Probable, InDoubt } = ClaimStatus;
const HOUR = 3_600_000;

describe.each(
  Object.keys(ADAPTERS) as (keyof typeof ADAPTERS)[],
)('RedisDedupTier with the distributed Bloom tier over %s', (adapter) => {
  const runner = new CountingRunner(ADAPTERS[adapter]());
  const tier = (windowMs = HOUR, bloom?: ReturnType<typeof sizeDistributedBloom>) =>
    new RedisDedupTier({ runner, baseKey: `mskguard:{${uniqueName('g')}}`, windowMs, bloom });
  afterAll(() => runner.close());

  it('says PROBABLE for a key the Bloom generations remember after the exact window (G2)', async () => {
    // Prepare
    const bloom = sizeDistributedBloom({ keysPerGeneration: 10_000, generationMs: HOUR, generations: 2 });
    const t = tier(2000, bloom);
    const keys = Array.from({ length: 20 }, randomKey);
    const claim = await t.claim(keys, { leaseMs: 500, mode: 'exact' });
    await t.complete(claim.ticket, keys);
    await sleep(4100); // two windows: the exact tier has forgotten them

    // Act
    const probabilistic = await t.claim(keys, { leaseMs: 500, mode: 'probabilistic' });
    const exact = await t.claim(keys, { leaseMs: 2000, mode: 'exact' });
    const exactAgain = await t.claim(keys, { leaseMs: 2000, mode: 'exact' });

    // Assess
    expect(probabilistic.statuses).toEqual(keys.map(() => Probable));
    expect(exact.statuses).toEqual(keys.map(() => Probable));
    // Exact mode leased them: a PROBABLE key is processed, never dropped.
    expect(exactAgain.statuses).toEqual(keys.map(() => InProgress));
  });

  it.each([
    { path: 'scratch bitmap OR-ed in', keysPerGeneration: 10_000 },
    { path: 'read-modify-write, bitmap above 2 MB + 1 KB per block', keysPerGeneration: 2_200_000 },
  ])('keeps the bits of every key sharing a block, across completes ($path) (G2)', async ({
    keysPerGeneration,
  }) => {
    // Prepare: keys whose digests pick the same block (bytes 0-3) with other masks; two of them
    // completed by one call (merged by the client), one more completed later into the same word.
    const bloom = sizeDistributedBloom({
      keysPerGeneration,
      generationMs: HOUR,
      generations: 2,
      bytesPerKey: 2,
    });
    const windowMs = 2000;
    const base = `mskguard:{${uniqueName('g')}}`;
    const t = new RedisDedupTier({ runner, baseKey: base, windowMs, bloom });
    const sameBlock = () => {
      const digest = randomBytes(16);
      digest.writeUInt32LE(0x01020304, 0);
      return { id: digest.toString('base64url'), digest };
    };
    const keys = [sameBlock(), sameBlock(), sameBlock(), randomKey()];
    await clearOfBucketEnd(windowMs, 1500);
    const first = await t.claim(keys.slice(0, 2), { leaseMs: 500, mode: 'exact' });
    await t.complete(first.ticket, keys.slice(0, 2));
    const second = await t.claim(keys.slice(2), { leaseMs: 500, mode: 'exact' });
    await t.complete(second.ticket, keys.slice(2));
    await sleep(2 * windowMs + 100); // two windows: the exact tier has forgotten them

    // Act
    const claim = await t.claim(keys, { leaseMs: 500, mode: 'probabilistic' });

    // Assess
    expect(claim.statuses).toEqual(keys.map(() => Probable));
    const admin = new IORedis(stackEnv().REDIS_URL);
    expect(await admin.exists(`${base}:b:or`)).toBe(0);
    admin.disconnect();
  });

  it('never says PROBABLE for keys it has not seen', async () => {
    const bloom = sizeDistributedBloom({ keysPerGeneration: 100_000, generationMs: HOUR, generations: 2 });
    const t = tier(HOUR, bloom);
    const seen = Array.from({ length: 500 }, randomKey);
    const claim = await t.claim(seen, { leaseMs: 60_000, mode: 'exact' });
    await t.complete(claim.ticket, seen);
    const fresh = await t.claim(Array.from({ length: 2000 }, randomKey), { leaseMs: 60_000, mode: 'exact' });
    // 500 keys in a 100,000-key bitmap: a false positive among 2,000 fresh keys is possible but
    // this rate would only be reached by a broken block or mask computation.
    expect(fresh.statuses.filter((s) => s === Probable).length).toBeLessThan(5);
  });

  it('leases both the keys of a dead owner and the new keys the Bloom tier tested, in one claim (G4, G5)', async () => {
    // Prepare: with a distributed Bloom tier, in-doubt keys and Bloom candidates are leased in two
    // passes of the claim script; every one must end up leased to the new owner.
    const bloom = sizeDistributedBloom({ keysPerGeneration: 10_000, generationMs: HOUR, generations: 2 });
    const t = tier(HOUR, bloom);
    const dead = [randomKey(), randomKey()];
    await t.claim(dead, { leaseMs: 200, mode: 'exact' });
    await sleep(300);
    const keys = [dead[0]!, randomKey(), dead[1]!, randomKey(), randomKey()];

    // Act
    const claim = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });
    const again = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });

    // Assess
    expect(claim.statuses).toEqual([InDoubt, New, InDoubt, New, New]);
    expect(again.statuses).toEqual(keys.map(() => InProgress));
  });
});
