// The Bloom tier's copies of its generations (decision 0020) when things go wrong, on the real
// Redis: a slow read does not make the copies drop a generation the claim script still tests; a
// failed read leaves the claim to test in Redis and is not retried before every claim; a client
// that returns text instead of bytes turns copies off rather than making every copy empty; a
// bitmap left larger by an earlier configuration is read only up to the configured size; and the
// container's budget for copies is shared by a group's cache shards.
import { afterAll, describe, expect, it } from 'vitest';
import type { ScriptRunner } from '#shared/cache/script-runner.ts';
import { BloomSnapshots } from '#shared/dedup/bloom/snapshots.ts';
import { bloomBlockOf, type DistributedBloomParams } from '#shared/dedup/distributed-bloom.ts';
import type { TierKey } from '#shared/dedup/exact.ts';
import { ShardedDedupTier } from '#shared/dedup/sharded.ts';
import { CacheUnavailableError } from '#shared/errors.ts';
import { flagsOf, HOUR, key, SAFE, throughRunner } from '#test/support/bloom.ts';
import { adminFor } from '#test/support/redis-admin.ts';
import { ADAPTERS, CountingRunner } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

const MINUTE_GENERATIONS: DistributedBloomParams = {
  blocks: 4096,
  k: 5,
  generationMs: 60_000,
  generations: 2,
};

const runner = ADAPTERS.resp();
const admin = adminFor('resp');
afterAll(async () => {
  await runner.close();
  admin.disconnect();
});

/** Sets a key's bits in generation `current + offset` of `base`, as complete-1.lua would. */
async function setIn(
  base: string,
  params: DistributedBloomParams,
  offset: number,
  k: TierKey,
): Promise<void> {
  const [seconds] = (await admin.time()) as [number | string, number | string];
  const generation = Math.floor((Number(seconds) * 1000) / params.generationMs) + offset;
  const { block, mask } = bloomBlockOf(k.digest, params);
  await admin.call('BITFIELD', `${base}:b:${generation}`, 'SET', 'u32', `#${block}`, String(mask));
}

/** A runner whose binary reads go through `read` (the real one by default), counted. */
function through(read: ScriptRunner['runBinary'] = (s, k, a) => runner.runBinary!(s, k, a)) {
  const { runner: wrapped, reads } = throughRunner(runner, {
    read: (_, call) => read!(call.script, call.keys, call.args),
  });
  return { wrapped, reads };
}

describe('copies of the Bloom generations, when things go wrong', () => {
  it('a slow read does not drop a generation the claim script still tests', async () => {
    // Prepare: one-minute generations, 'old' in the previous one; this clock advances 59.999 s
    // while the read is on its way (a cold connection, a cluster not yet ready).
    const base = `mskguard:{${uniqueName('copies')}}`;
    const old = key();
    await setIn(base, MINUTE_GENERATIONS, -1, old);
    const clock = { ms: 0 };
    const { wrapped } = through(async (script, keys, args) => {
      const reply = await runner.runBinary!(script, keys, args);
      clock.ms += 59_999;
      return reply;
    });
    const copies = new BloomSnapshots(wrapped, base, MINUTE_GENERATIONS, {
      safeAgeMs: SAFE,
      maxAgeMs: SAFE,
      now: () => clock.ms,
    });

    // Act
    const flags = flagsOf(await copies.flags([old]));

    // Assess
    expect(flags).toBe('1');
  });

  it('a failed read leaves the claim to test in Redis, and is tried again a minute later', async () => {
    // Prepare
    const clock = { ms: 0 };
    let fail = true;
    const { wrapped, reads } = through(async (script, keys, args) => {
      if (fail) throw new CacheUnavailableError('read timed out');
      return runner.runBinary!(script, keys, args);
    });
    const copies = new BloomSnapshots(wrapped, `mskguard:{${uniqueName('copies')}}`, MINUTE_GENERATIONS, {
      safeAgeMs: SAFE,
      maxAgeMs: SAFE,
      now: () => clock.ms,
    });

    // Act
    const first = await copies.flags([key()]);
    clock.ms = 59_999;
    const second = await copies.flags([key()]);
    fail = false;
    clock.ms = 60_000;
    const third = flagsOf(await copies.flags([key()]));

    // Assess
    expect([first, second, third, reads.count, copies.active]).toEqual([undefined, undefined, '0', 2, true]);
  });

  it('turns off when the client returns a bitmap as text: every copy would look empty', async () => {
    // Prepare: a key completed in the current generation; the client decodes bulk replies to strings.
    const base = `mskguard:{${uniqueName('copies')}}`;
    const done = key();
    await setIn(base, MINUTE_GENERATIONS, 0, done);
    const { wrapped } = through((script, keys, args) => runner.run(script, keys, args));
    const copies = new BloomSnapshots(wrapped, base, MINUTE_GENERATIONS, { safeAgeMs: SAFE, maxAgeMs: SAFE });

    // Act
    const flags = await copies.flags([done]);

    // Assess: no flags (the claim tests in Redis), never a '0' for a completed key.
    expect([flags, copies.active]).toEqual([undefined, false]);
  });

  it('reads a generation only up to the configured size', async () => {
    // Prepare: the bitmap holds a bit far beyond 4,096 blocks (an earlier, larger configuration).
    const base = `mskguard:{${uniqueName('copies')}}`;
    const [seconds] = (await admin.time()) as [number | string, number | string];
    const generation = Math.floor((Number(seconds) * 1000) / 60_000);
    await admin.setbit(`${base}:b:${generation}`, 8 * 1024 * 1024, 1);
    const replies: unknown[][] = [];
    const { wrapped } = through(async (script, keys, args) => {
      const reply = (await runner.runBinary!(script, keys, args)) as unknown[];
      replies.push(reply);
      return reply;
    });
    const copies = new BloomSnapshots(wrapped, base, MINUTE_GENERATIONS, { safeAgeMs: SAFE, maxAgeMs: SAFE });

    // Act
    await copies.flags([key()]);

    // Assess: 4,096 blocks of 4 bytes, not the 1 MB Redis holds.
    expect((replies[0]![3] as Buffer).length).toBe(4096 * 4);
  });

  it("shares the container's budget among a group's cache shards", async () => {
    // Prepare: 2 generations of 8,192 blocks are 64 KiB for the group, 32 KiB per shard over 2 shards.
    const counting = new CountingRunner(ADAPTERS.resp());
    const bloom = (maxBytes: number): DistributedBloomParams => ({
      ...MINUTE_GENERATIONS,
      blocks: 8192,
      copies: { maxBytes },
    });
    const tier = (maxBytes: number) =>
      new ShardedDedupTier({
        runner: counting,
        baseKey: `mskguard:{${uniqueName('copies')}}`,
        windowMs: HOUR,
        shards: 2,
        bloom: bloom(maxBytes),
      });

    // Act: a budget under the group's 64 KiB (but over a shard's 32 KiB), then one that holds it.
    await tier(64 * 1024 - 1).claim(Array.from({ length: 40 }, key), { leaseMs: 60_000, mode: 'exact' });
    const under = counting.calls.splice(0);
    await tier(64 * 1024).claim(Array.from({ length: 40 }, key), { leaseMs: 60_000, mode: 'exact' });
    const enough = counting.calls.splice(0);
    await counting.close();

    // Assess
    expect(under.includes('snapshot')).toBe(false);
    expect(enough.filter((c) => c === 'snapshot')).toHaveLength(2);
  });
});
