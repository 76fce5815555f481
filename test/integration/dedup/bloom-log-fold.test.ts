// A final generation's Bloom log folded into its bitmap (decision 0022, compact-1.lua), on the real
// Redis (the single node, or the cluster with MSKGUARD_TEST_REDIS=cluster): the first container to
// read a generation that is written no more writes its bits back as the bitmap and drops the log,
// so a group that logs holds 8 bytes per key for its current generation only. Only one reader at a
// time is asked; the current generation and a log other than the one folded are never folded; and
// every key logged or set before is found afterwards, by copies and by the claim script.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { scripts } from '#lua/scripts.generated.ts';
import { encodeBloomLog } from '#shared/dedup/bloom/log.ts';
import { BloomSnapshots } from '#shared/dedup/bloom/snapshots.ts';
import { bloomBlockOf, type DistributedBloomParams } from '#shared/dedup/distributed-bloom.ts';
import { ClaimStatus, RedisDedupTier, type TierKey } from '#shared/dedup/exact.ts';
import { flagsOf, HOUR, key, redisGeneration, SAFE } from '#test/support/bloom.ts';
import { adminFor } from '#test/support/redis-admin.ts';
import { ADAPTERS } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

// Three generations: a generation that rolls over during a test leaves the one before it in the horizon.
const PARAMS: DistributedBloomParams = { blocks: 4096, k: 5, generationMs: HOUR, generations: 3 };

const runner = ADAPTERS.resp();
const admin = adminFor('resp');
afterAll(async () => {
  await runner.close();
  admin.disconnect();
});

/** A group whose previous generation has a log of `logged` and a bitmap with `set`'s bits. */
async function groupWithFinalGeneration(logged: TierKey[], set: TierKey[] = []) {
  const base = `mskguard:{${uniqueName('bloomfold')}}`;
  const previous = (await redisGeneration(admin, HOUR)) - 1;
  await admin.append(`${base}:b:${previous}:l`, encodeBloomLog(logged, PARAMS));
  for (const k of set) {
    const { block, mask } = bloomBlockOf(k.digest, PARAMS);
    await admin.call('BITFIELD', `${base}:b:${previous}`, 'SET', 'u32', `#${block}`, String(mask));
  }
  const copies = (log = true) =>
    new BloomSnapshots(runner, base, PARAMS, { safeAgeMs: SAFE, maxAgeMs: 0, log });
  return { base, previous, copies };
}

/** The snapshot script's fold flag for generation `g`, read by a caller holding nothing. */
async function foldAsked(base: string, g: number): Promise<number> {
  const args = [String(HOUR), String(PARAMS.generations), '', String(PARAMS.blocks * 4), ''];
  const reply = (await runner.runBinary!(scripts.snapshot, [base], args)) as unknown[];
  for (let r = 2; r < reply.length; r += 5) if (Number(reply[r]) === g) return Number(reply[r + 4]);
  throw new Error(`generation ${g} not in the snapshot's reply`);
}

describe("a final generation's Bloom log", () => {
  it('is folded into its bitmap by its first reader, and the log dropped', async () => {
    // Prepare: two keys logged, one set by a function that sets bits.
    const [a, b, c, never] = [key(), key(), key(), key()];
    const g = await groupWithFinalGeneration([a, b], [c]);

    // Act
    const firstReader = flagsOf(await g.copies().flags([a, b, c, never]));

    // Assess: the log and its fold lease are gone; a later reader and the claim script (which
    // cannot see a log) find every key in the bitmap.
    expect(firstReader).toBe('1110');
    expect(await admin.exists(`${g.base}:b:${g.previous}:l`, `${g.base}:b:${g.previous}:l:fold`)).toBe(0);
    expect(flagsOf(await g.copies(false).flags([a, b, c, never]))).toBe('1110');
    const inScript = new RedisDedupTier({
      runner,
      baseKey: g.base,
      windowMs: HOUR,
      bloom: { ...PARAMS, copies: false },
    });
    const claim = await inScript.claim([a, b, c, never], { leaseMs: 60_000, mode: 'probabilistic' });
    const [P, N] = [ClaimStatus.Probable, ClaimStatus.New];
    expect(claim.statuses).toEqual([P, P, P, N]);
    expect(await admin.pttl(`${g.base}:b:${g.previous}`)).toBeGreaterThan(HOUR);
  });

  it('is asked of one reader at a time', async () => {
    // Prepare
    const g = await groupWithFinalGeneration([key()]);

    // Act
    const asked = [await foldAsked(g.base, g.previous), await foldAsked(g.base, g.previous)];

    // Assess
    expect(asked).toEqual([1, 0]);
  });

  it('is folded only while final and only as read: not the current generation, not a log that changed', async () => {
    // Prepare: the previous generation's log, and one in the current generation.
    const logged = key();
    const g = await groupWithFinalGeneration([logged]);
    const current = g.previous + 1;
    await admin.append(`${g.base}:b:${current}:l`, encodeBloomLog([key()], PARAMS));
    const bits = Buffer.alloc(PARAMS.blocks * 4, 0xff);
    const fold = (generation: number, logBytes: number) =>
      runner.run(scripts.compact, [g.base], [String(HOUR), '3', String(generation), String(logBytes), bits]);

    // Act
    const replies = [await fold(current, 8), await fold(g.previous, 16), await fold(g.previous, 8)];

    // Assess: only the last one, which names the log as it is, folded.
    expect(replies.map(Number)).toEqual([0, 0, 1]);
    expect(await admin.exists(`${g.base}:b:${current}:l`)).toBe(1);
    expect(await admin.exists(`${g.base}:b:${current}`)).toBe(0);
    expect(await admin.exists(`${g.base}:b:${g.previous}:l`)).toBe(0);
  });

  it('is folded whole by a warm reader that read the log on from an offset before it became final', async () => {
    // Prepare: two-second generations; a copy reads the current generation's log twice (the second
    // time from byte 8), then a third key is logged and the generation ends.
    const params = { ...PARAMS, generationMs: 2000 };
    const base = `mskguard:{${uniqueName('bloomfold')}}`;
    const copies = new BloomSnapshots(runner, base, params, { safeAgeMs: SAFE, maxAgeMs: 0, log: true });
    const generationNow = () => redisGeneration(admin, params.generationMs);
    // Start early in a generation, so that the three appends share it.
    const start = await generationNow();
    while ((await generationNow()) === start) await sleep(50);
    const g = await generationNow();
    const log = `${base}:b:${g}:l`;
    const [a, b, c, never] = [key(), key(), key(), key()];
    await admin.append(log, encodeBloomLog([a], params));
    await copies.flags([a]);
    await admin.append(log, encodeBloomLog([b], params));
    await copies.flags([a]);
    await admin.append(log, encodeBloomLog([c], params));
    while ((await generationNow()) === g) await sleep(50);

    // Act: the next read finds the generation final and is asked to fold it.
    const flags = flagsOf(await copies.flags([a, b, c, never]));

    // Assess: every key is in the folded bitmap, read afresh by another container.
    expect(flags).toBe('1110');
    expect(await admin.exists(log)).toBe(0);
    const later = new BloomSnapshots(runner, base, params, { safeAgeMs: SAFE, maxAgeMs: 0 });
    expect(flagsOf(await later.flags([a, b, c, never]))).toBe('1110');
  });

  it('is left alone by a reader of a smaller configuration, whose fold would drop entries past its blocks', async () => {
    // Prepare: a log written by a configuration twice as large, one of its entries past 4,096 blocks.
    const larger = { ...PARAMS, blocks: 8192 };
    const previous = (await redisGeneration(admin, HOUR)) - 1;
    const base = `mskguard:{${uniqueName('bloomfold')}}`;
    let far = key();
    while (bloomBlockOf(far.digest, larger).block < PARAMS.blocks) far = key();
    await admin.append(`${base}:b:${previous}:l`, encodeBloomLog([far, key()], larger));
    const smaller = new BloomSnapshots(runner, base, PARAMS, { safeAgeMs: SAFE, maxAgeMs: 0, log: true });

    // Act
    await smaller.flags([far]);

    // Assess: the log is still there, and a reader of the larger size finds the far key.
    expect(await admin.strlen(`${base}:b:${previous}:l`)).toBe(16);
    const ofLarger = new BloomSnapshots(runner, base, larger, { safeAgeMs: SAFE, maxAgeMs: 0, log: true });
    expect(flagsOf(await ofLarger.flags([far]))).toBe('1');
  });
});
