// A group that logs its Bloom bits (decision 0022), on the real Redis (the single node, or the
// cluster with MSKGUARD_TEST_REDIS=cluster): a complete appends one 8-byte entry per distinct block
// and sets no bit; copies fold the log, read on from where they stopped, and start again when the
// log was written anew; a group may mix writers of the bitmap and of the log; and no claim of a
// group that logs is ever tested in the claim script, which cannot see the log: it is refused
// before any write, and a logging tier reads its copies again rather than fall back to it.
import { afterAll, describe, expect, it } from 'vitest';
import type { ScriptRunner } from '#shared/cache/script-runner.ts';
import { encodeBloomLog } from '#shared/dedup/bloom/log.ts';
import { BloomSnapshots } from '#shared/dedup/bloom/snapshots.ts';
import { bloomBlockOf, type DistributedBloomParams } from '#shared/dedup/distributed-bloom.ts';
import { ClaimStatus, RedisDedupTier, type TierKey } from '#shared/dedup/exact.ts';
import { CacheUnavailableError, ConfigurationError } from '#shared/errors.ts';
import {
  agedFirstRead,
  claimLabel,
  flagsOf,
  HOUR,
  key,
  redisGeneration,
  SAFE,
  throughRunner,
} from '#test/support/bloom.ts';
import { adminFor, keysMatching } from '#test/support/redis-admin.ts';
import { ADAPTERS } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

const PARAMS: DistributedBloomParams = { blocks: 4096, k: 5, generationMs: HOUR, generations: 2 };
const LOGGING = { ...PARAMS, copies: { log: true } } as const;

const runner = ADAPTERS.resp();
const admin = adminFor('resp');
afterAll(async () => {
  await runner.close();
  admin.disconnect();
});

const currentGeneration = () => redisGeneration(admin, PARAMS.generationMs);

/** A group, a tier of it (logging unless told), and a claim + complete of keys through it. */
function group(bloom: DistributedBloomParams = LOGGING) {
  const base = `mskguard:{${uniqueName('bloomlog')}}`;
  const tier = (through: ScriptRunner = runner, params = bloom) =>
    new RedisDedupTier({ runner: through, baseKey: base, windowMs: HOUR, bloom: params });
  const writer = tier();
  const complete = async (keys: TierKey[], by = writer) => {
    const claim = await by.claim(keys, { leaseMs: 60_000, mode: 'exact' });
    await by.complete(claim.ticket, keys);
    // The exact tier forgets them: only the Bloom tier can still say it saw them.
    await admin.unlink(`${base}:x:${claim.ticket.bucket}`);
  };
  const copies = (through: ScriptRunner = runner) =>
    new BloomSnapshots(through, base, PARAMS, { safeAgeMs: SAFE, maxAgeMs: 0, log: true });
  return { base, tier, complete, copies };
}

describe('a group that logs its Bloom bits', () => {
  it('appends one entry per distinct block of the completed keys, and sets no bit', async () => {
    // Prepare: 300 keys in 4,096 blocks, so some share a block.
    const g = group();
    const keys = Array.from({ length: 300 }, key);
    const distinct = new Set(keys.map((k) => bloomBlockOf(k.digest, PARAMS).block)).size;

    // Act
    await g.complete(keys);

    // Assess: the group's only Bloom key is its log (found, not computed: the hour may turn).
    const written = await keysMatching(admin, `${g.base}:b:*`);
    expect(written).toEqual([expect.stringMatching(/:b:\d+:l$/)]);
    expect(await admin.strlen(written[0]!)).toBe(8 * distinct);
    expect(await admin.pttl(written[0]!)).toBeGreaterThan(HOUR);
  });

  it('copies fold the log and read on from where they stopped', async () => {
    // Prepare
    const g = group();
    const [first, second, never] = [key(), key(), key()];
    const asked: string[] = [];
    const recording = throughRunner(runner, {
      read: (_, call, realRead) => {
        asked.push(String(call.args[4]));
        return realRead();
      },
    });
    const copies = g.copies(recording.runner);
    await g.complete([first]);

    // Act
    const before = flagsOf(await copies.flags([first, second, never]));
    await g.complete([second]);
    const after = flagsOf(await copies.flags([first, second, never]));

    // Assess: the second read asked for the log's generation from its ninth byte on.
    expect([before, after]).toEqual(['100', '110']);
    const [log] = await keysMatching(admin, `${g.base}:b:*:l`);
    expect(asked).toEqual(['', `${log?.split(':')[3]}:8`]);
  });

  it('copies start again from the whole log when it was written anew', async () => {
    // Prepare: a copy of a two-entry log; the log then expires and is written again with one entry.
    const g = group();
    const [gone, kept, again] = [key(), key(), key()];
    const copies = g.copies();
    await g.complete([gone]);
    await g.complete([kept]);
    await copies.flags([gone]);
    const generation = await currentGeneration();
    await admin.unlink(`${g.base}:b:${generation}:l`);

    // Act
    await g.complete([again]);
    const flags = flagsOf(await copies.flags([gone, kept, again]));

    // Assess: the bits of the log as it was are gone with it (its generation's copy was rebuilt).
    expect(flags).toBe('001');
  });

  it('claims find the logged keys: Probable, leased in exact mode', async () => {
    // Prepare
    const g = group();
    const [seen, fresh] = [key(), key()];
    await g.complete([seen]);

    // Act: a new container of the group.
    const claim = await g.tier().claim([seen, fresh], { leaseMs: 60_000, mode: 'exact' });

    // Assess
    expect(claim.statuses).toEqual([ClaimStatus.Probable, ClaimStatus.New]);
  });

  it('mixes with writers of the bitmap: copies see the bits of both', async () => {
    // Prepare: one key completed by a tier that sets bits, one by a tier that logs.
    const g = group();
    const [bySetting, byLogging, never] = [key(), key(), key()];
    await g.complete([bySetting], g.tier(runner, { ...PARAMS, copies: {} }));
    await g.complete([byLogging]);

    // Act
    // Probabilistic: a Probable key is not leased, so the second claim meets none of the first's.
    const asLogging = await g
      .tier()
      .claim([bySetting, byLogging, never], { leaseMs: 60_000, mode: 'probabilistic' });
    const asSetting = await g
      .tier(runner, { ...PARAMS, copies: {} })
      .claim([bySetting, byLogging, key()], { leaseMs: 60_000, mode: 'probabilistic' });

    // Assess
    const [P, N] = [ClaimStatus.Probable, ClaimStatus.New];
    expect([asLogging.statuses, asSetting.statuses]).toEqual([
      [P, P, N],
      [P, P, N],
    ]);
  });
});

describe('claims of a group that logs are never tested in the claim script', () => {
  it('the script refuses to test a generation with a log, before writing anything', async () => {
    // Prepare: a log in the current generation; a tier whose claims test in the script.
    const g = group();
    await admin.append(`${g.base}:b:${await currentGeneration()}:l`, encodeBloomLog([key()], PARAMS));
    const inScript = g.tier(runner, { ...PARAMS, copies: false });

    // Act
    const claim = inScript.claim([key()], { leaseMs: 60_000, mode: 'exact' });

    // Assess
    await expect(claim).rejects.toThrow(ConfigurationError);
    await expect(claim).rejects.toThrow(/distributedBloom\.copies\.log/);
    expect(await keysMatching(admin, `${g.base}:x:*`)).toEqual([]);
  });

  it('a logging tier is refused where its claims could not test against copies', () => {
    // Act
    const build = (through: ScriptRunner, windowMs: number) => () =>
      new RedisDedupTier({ runner: through, baseKey: 'mskguard:{refused}', windowMs, bloom: LOGGING });

    // Assess: no binary replies (Upstash REST), a window with no time to refresh, copies too large.
    expect(build(ADAPTERS.upstash(), HOUR)).toThrow(/no binary replies.*drop copies\.log/);
    expect(build(runner, 16 * 60_000)).toThrow(/under 17 min/);
    expect(
      () =>
        new RedisDedupTier({
          runner,
          baseKey: 'mskguard:{refused}',
          windowMs: HOUR,
          bloom: { ...PARAMS, copies: { log: true, maxBytes: 1024 } },
        }),
    ).toThrow(/more than copies\.maxBytes/);
  });

  it('copies read too long ago (by Redis time) are read again and the claim sent again with them', async () => {
    // Prepare: a logged key the exact tier forgot; the first read says it was made long ago.
    const g = group();
    const done = key();
    await g.complete([done]);
    const { runner: oldFirstRead, calls } = throughRunner(runner, { label: claimLabel, read: agedFirstRead });

    // Act
    const claim = await g.tier(oldFirstRead).claim([done, key()], { leaseMs: 60_000, mode: 'probabilistic' });

    // Assess: both claims sent flags ("F"), none the blocks for the script to test.
    expect(claim.statuses).toEqual([ClaimStatus.Probable, ClaimStatus.New]);
    expect(calls).toEqual(['snapshot', 'claim:F', 'snapshot', 'claim:F']);
  });

  it('a failed read of the copies fails the claim as an unreachable cache, and leases nothing', async () => {
    // Prepare
    const g = group();
    const { runner: down } = throughRunner(runner, {
      read: () => Promise.reject(new CacheUnavailableError('Redis did not answer')),
    });

    // Act
    const claim = g.tier(down).claim([key()], { leaseMs: 60_000, mode: 'exact' });

    // Assess
    await expect(claim).rejects.toThrow(CacheUnavailableError);
    expect(await keysMatching(admin, `${g.base}:*`)).toEqual([]);
  });
});
