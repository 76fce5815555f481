// A group where one function logs its Bloom bits (decision 0022) and another sets them, on the real
// Redis (the single node, or the cluster with MSKGUARD_TEST_REDIS=cluster). The claim script
// refuses to test a generation with a log, so a function that sets bits must not fall back to it:
// after a failed read of its copies it reads them again and claims with them, and only a read that
// fails again fails the claim, with that read's error. Where no copies can be had (Upstash REST),
// the refusal is a ConfigurationError that names the option and not the request.
import { afterAll, describe, expect, it } from 'vitest';
import type { ScriptRunner } from '#shared/cache/script-runner.ts';
import { encodeBloomLog } from '#shared/dedup/bloom/log.ts';
import type { DistributedBloomParams } from '#shared/dedup/distributed-bloom.ts';
import { ClaimStatus, RedisDedupTier, type TierKey } from '#shared/dedup/exact.ts';
import { CacheUnavailableError, ConfigurationError } from '#shared/errors.ts';
import { claimLabel, HOUR, key, redisGeneration, throughRunner } from '#test/support/bloom.ts';
import { adminFor, keysMatching } from '#test/support/redis-admin.ts';
import { ADAPTERS } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

// Three generations: a log written just before the hour turns stays in the horizon.
const PARAMS: DistributedBloomParams = { blocks: 4096, k: 5, generationMs: HOUR, generations: 3 };

const runner = ADAPTERS.resp();
const upstash = ADAPTERS.upstash();
const admin = adminFor('resp');
/** The Redis behind the REST endpoint: the single node, also when the RESP cases run on the cluster. */
const upstashAdmin = adminFor('upstash');
afterAll(async () => {
  await Promise.all([runner.close(), upstash.close()]);
  admin.disconnect();
  upstashAdmin.disconnect();
});

/** A group in whose current generation a logging function completed `logged`. */
async function loggingGroup(logged: TierKey, on = admin) {
  const base = `mskguard:{${uniqueName('bloommixed')}}`;
  const generation = await redisGeneration(on, HOUR);
  await on.append(`${base}:b:${generation}:l`, encodeBloomLog([logged], PARAMS));
  return base;
}

/** A runner whose reads of the copies fail `failures` times, and a record of the calls made. */
function failingReads(failures: number) {
  const { runner: through, calls } = throughRunner(runner, {
    label: claimLabel,
    read: (n, _, realRead) =>
      n < failures ? Promise.reject(new CacheUnavailableError('Redis did not answer')) : realRead(),
  });
  return { through, calls };
}

describe('a function that sets bits, in a group where another logs', () => {
  it('claims with copies read again when the script refuses to test a generation with a log', async () => {
    // Prepare: its first read of the copies fails, so its first claim is tested in the script.
    const logged = key();
    const base = await loggingGroup(logged);
    const { through, calls } = failingReads(1);
    const tier = new RedisDedupTier({ runner: through, baseKey: base, windowMs: HOUR, bloom: PARAMS });

    // Act
    const claim = await tier.claim([logged, key()], { leaseMs: 60_000, mode: 'probabilistic' });

    // Assess: refused, read again, claimed with flags; the logged key is found.
    expect(claim.statuses).toEqual([ClaimStatus.Probable, ClaimStatus.New]);
    expect(calls).toEqual(['snapshot', 'claim:[', 'snapshot', 'claim:F']);
  });

  it("fails the claim with the read's own error when the copies cannot be read again, writing nothing", async () => {
    // Prepare
    const base = await loggingGroup(key());
    const { through } = failingReads(2);
    const tier = new RedisDedupTier({ runner: through, baseKey: base, windowMs: HOUR, bloom: PARAMS });

    // Act
    const claim = tier.claim([key()], { leaseMs: 60_000, mode: 'exact' });

    // Assess
    await expect(claim).rejects.toThrow(CacheUnavailableError);
    expect(await keysMatching(admin, `${base}:x:*`)).toEqual([]);
  });

  it('over Upstash REST (no copies) is refused with a ConfigurationError naming the option, not the request', async () => {
    // Prepare
    const base = await loggingGroup(key(), upstashAdmin);
    const tier = new RedisDedupTier({ runner: upstash, baseKey: base, windowMs: HOUR, bloom: PARAMS });

    // Act
    const claim = tier.claim([key(), key()], { leaseMs: 60_000, mode: 'exact' });

    // Assess
    await expect(claim).rejects.toThrow(ConfigurationError);
    await expect(claim).rejects.toThrow(/this group logs its Bloom bits \(distributedBloom\.copies\.log\)/);
  });

  it("keeps the script's words only, when the client's error carries the request (Upstash's HTTP 400)", async () => {
    // Prepare: @upstash/redis appends the request body to an error answered with a 4xx status,
    // as the hosted service answers a script error (the local endpoint answers 200).
    const words = 'this group logs its Bloom bits (distributedBloom.copies.log): its claims must test …';
    const hosted: ScriptRunner = {
      kind: 'upstash',
      run: () =>
        Promise.reject(new Error(`ERR MSKGUARD_BLOOM_LOG ${words}, command was: ["evalsha","…ids…"]`)),
      close: async () => {},
    };
    const tier = new RedisDedupTier({
      runner: hosted,
      baseKey: 'mskguard:{g}',
      windowMs: HOUR,
      bloom: PARAMS,
    });

    // Act
    const claim = tier.claim([key()], { leaseMs: 60_000, mode: 'exact' });

    // Assess
    await expect(claim).rejects.toThrow(ConfigurationError);
    await expect(claim).rejects.toThrow(new RegExp(`^${words.replace(/[().…]/g, '\\$&')}\\.$`));
  });
});
