// The distributed Bloom tier tested against copies of its generations (decision 0020), on the
// real Redis (the single node, or the cluster with MSKGUARD_TEST_REDIS=cluster). What makes the
// copies safe is proven here: a copy is read again once older than refreshMs; a generation before
// the current one is read once, as written no more; the horizon moves with Redis's generation, as
// the claim script's does; and a cache that cannot return binary replies, generations too large to
// copy or a window too short for any refresh all leave the test in the claim script.
import { afterAll, describe, expect, it } from 'vitest';
import { scripts } from '#lua/scripts.generated.ts';
import type { ScriptRunner } from '#shared/cache/script-runner.ts';
import { BloomSnapshots } from '#shared/dedup/bloom/snapshots.ts';
import { bloomBlockOf, type DistributedBloomParams } from '#shared/dedup/distributed-bloom.ts';
import { ClaimStatus, RedisDedupTier, type TierKey } from '#shared/dedup/exact.ts';
import { ConfigurationError } from '#shared/errors.ts';
import { agedFirstRead, flagsOf, HOUR, key, SAFE, throughRunner } from '#test/support/bloom.ts';
import { adminFor, keysMatching } from '#test/support/redis-admin.ts';
import { ADAPTERS, CountingRunner } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

const PARAMS: DistributedBloomParams = { blocks: 4096, k: 5, generationMs: HOUR, generations: 2 };

const runner = new CountingRunner(ADAPTERS.resp());
const admin = adminFor('resp');
afterAll(async () => {
  await runner.close();
  admin.disconnect();
});

/** A group whose Bloom bits are written the way complete-1.lua writes them, and a fake clock. */
function group(params = PARAMS) {
  const base = `mskguard:{${uniqueName('copies')}}`;
  const writer = new RedisDedupTier({
    runner,
    baseKey: base,
    windowMs: HOUR,
    bloom: { ...params, copies: false },
  });
  const clock = { ms: 0 };
  const copies = (maxAgeMs: number, through: ScriptRunner = runner) =>
    new BloomSnapshots(through, base, params, { safeAgeMs: SAFE, maxAgeMs, now: () => clock.ms });
  const complete = async (keys: TierKey[]) => {
    const claim = await writer.claim(keys, { leaseMs: 60_000, mode: 'exact' });
    await writer.complete(claim.ticket, keys);
  };
  /** Sets a key's bits in generation `current + offset` directly (an older generation). */
  const setIn = async (offset: number, k: TierKey) => {
    const [seconds] = (await admin.time()) as [number | string, number | string];
    const generation = Math.floor((Number(seconds) * 1000) / params.generationMs) + offset;
    const { block, mask } = bloomBlockOf(k.digest, params);
    await admin.call('BITFIELD', `${base}:b:${generation}`, 'SET', 'u32', `#${block}`, String(mask));
  };
  return { base, clock, copies, complete, setIn };
}

describe('copies of the Bloom generations', () => {
  it('answers from its copy until the copy is older than refreshMs, then reads it again', async () => {
    // Prepare: the copy is read before 'late' completes.
    const g = group();
    const [early, late, never] = [key(), key(), key()];
    await g.complete([early]);
    const copies = g.copies(60_000);
    const first = flagsOf(await copies.flags([early, late, never]));
    await g.complete([late]);

    // Act
    g.clock.ms = 60_000;
    const stillFresh = flagsOf(await copies.flags([early, late, never]));
    g.clock.ms = 60_001;
    const readAgain = flagsOf(await copies.flags([early, late, never]));

    // Assess
    expect([first, stillFresh, readAgain]).toEqual(['100', '100', '110']);
  });

  it('reads a generation before the current one once, and the current one at every refresh', async () => {
    // Prepare: 'old' is in the previous generation, 'now' in the current one.
    const g = group();
    const [old, now] = [key(), key()];
    await g.setIn(-1, old);
    await g.complete([now]);
    const reads: { held: string; generations: number[] }[] = [];
    const { runner: recording } = throughRunner(runner, {
      read: async (_, call, realRead) => {
        const reply = (await realRead()) as unknown[];
        // Five entries per generation: g, bitmap, where its log starts, the log, fold or not.
        const generations = reply.filter((_, i) => i >= 2 && (i - 2) % 5 === 0).map(Number);
        reads.push({ held: String(call.args[2]), generations });
        return reply;
      },
    });
    const copies = g.copies(0, recording);

    // Act: two refreshes (refreshMs 0 reads before every claim).
    const first = flagsOf(await copies.flags([old, now]));
    const second = flagsOf(await copies.flags([old, now]));

    // Assess: both found both times; the second read named the previous generation as held and
    // got the current one only.
    expect([first, second]).toEqual(['11', '11']);
    const current = reads[0]!.generations[0]!;
    expect(reads).toEqual([
      { held: '', generations: [current, current - 1] },
      { held: String(current - 1), generations: [current] },
    ]);
  });

  it('drops a copy once its generation leaves the horizon, as the claim script stops testing it', async () => {
    // Prepare: one-minute generations, 'old' in the previous one; the horizon is two generations.
    const g = group({ ...PARAMS, generationMs: 60_000 });
    const old = key();
    await g.setIn(-1, old);
    const copies = g.copies(SAFE);
    const inHorizon = flagsOf(await copies.flags([old]));

    // Act: one generation later (this clock; the copy is still fresh, so nothing is read).
    g.clock.ms = 60_000;
    const beyond = flagsOf(await copies.flags([old]));

    // Assess
    expect([inHorizon, beyond]).toEqual(['1', '0']);
  });

  it('is off where it cannot help: no binary replies, generations too large, no time to refresh', () => {
    // Act
    const active = (
      options: { safeAgeMs?: number; maxAgeMs?: number; maxBytes?: number },
      through: ScriptRunner = runner,
    ) =>
      new BloomSnapshots(through, 'mskguard:{g}', PARAMS, { safeAgeMs: SAFE, maxAgeMs: 1000, ...options })
        .active;

    // Assess: two generations of 4,096 blocks take 32 KiB.
    expect([
      active({}, ADAPTERS.upstash()),
      active({ maxBytes: 4096 * 8 - 1 }),
      active({ safeAgeMs: 59_999, maxAgeMs: 0 }),
      active({ maxAgeMs: SAFE + 1 }),
      active({ maxBytes: 4096 * 8 }),
    ]).toEqual([false, false, false, false, true]);
  });

  it('tests in the claim script with a client that has no Buffer replies', async () => {
    // Prepare: a RESP client of the documented structural shape, without evalshaBuffer.
    const { RespScriptRunner } = await import('#shared/cache/resp.ts');
    const plain = new RespScriptRunner({
      client: { evalsha: admin.evalsha.bind(admin), eval: admin.eval.bind(admin), disconnect: () => {} },
    });
    const copies = new BloomSnapshots(plain, 'mskguard:{g}', PARAMS, { safeAgeMs: SAFE, maxAgeMs: 1000 });

    // Act
    const flags = await copies.flags([key()]);

    // Assess
    expect([flags, copies.active]).toEqual([undefined, false]);
  });
});

describe('a tier with copies', () => {
  it('finds keys completed beyond the exact window as the claim script does', async () => {
    // Prepare: two tiers on one group, one testing in the script, one against copies.
    const base = `mskguard:{${uniqueName('copies')}}`;
    const inScript = new RedisDedupTier({
      runner,
      baseKey: base,
      windowMs: HOUR,
      bloom: { ...PARAMS, copies: false },
    });
    const withCopies = new RedisDedupTier({
      runner,
      baseKey: base,
      windowMs: HOUR,
      bloom: { ...PARAMS, copies: { refreshMs: 0 } },
    });
    const done = Array.from({ length: 50 }, key);
    const claim = await inScript.claim(done, { leaseMs: 60_000, mode: 'exact' });
    await inScript.complete(claim.ticket, done);
    await admin.unlink(`${base}:x:${claim.ticket.bucket}`); // as two windows later
    const fresh = Array.from({ length: 50 }, key);

    // Act
    const a = await inScript.claim([...done, ...fresh], { leaseMs: 60_000, mode: 'probabilistic' });
    await admin.unlink(`${base}:x:${a.ticket.bucket}`);
    const b = await withCopies.claim([...done, ...fresh], { leaseMs: 60_000, mode: 'probabilistic' });

    // Assess: the same statuses; the done keys probable (a false positive among 'fresh' would be
    // in both, since both read the same bits).
    expect(b.statuses).toEqual(a.statuses);
    expect(a.statuses.slice(0, 50)).toEqual(done.map(() => ClaimStatus.Probable));
  });

  it('refuses a refreshMs longer than the window less the longest run', () => {
    // Act
    const act = () =>
      new RedisDedupTier({
        runner,
        baseKey: 'mskguard:{g}',
        windowMs: HOUR,
        bloom: { ...PARAMS, copies: { refreshMs: HOUR } },
      });

    // Assess
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(
      /refreshMs must be a whole number of ms from 0 to the dedup window less 16 min \(2640000\)/,
    );
  });

  it('copies nothing when the window leaves no time to refresh (the minimum window, 15 min)', async () => {
    // Prepare
    const tier = new RedisDedupTier({
      runner,
      baseKey: `mskguard:{${uniqueName('copies')}}`,
      windowMs: 900_000,
      bloom: PARAMS,
    });
    const before = runner.calls.length;

    // Act
    await tier.claim([key()], { leaseMs: 60_000, mode: 'exact' });

    // Assess
    expect(runner.calls.slice(before)).toEqual(['claim']);
  });
});

describe('copies too old by Redis time (a container whose clock stood still)', () => {
  it('the claim script answers stale and writes nothing', async () => {
    // Prepare: flags for one key, from copies read longer ago than the safe age.
    const base = `mskguard:{${uniqueName('copies')}}`;
    const [seconds] = (await admin.time()) as [number | string, number | string];
    const readAt = Number(seconds) * 1000 - SAFE - 1000;
    const flags = `F${readAt} ${SAFE} 0`;
    const k = key();

    // Act
    const reply = await runner.run(scripts.claim, [base], claimArgs(k, flags));

    // Assess
    expect(reply).toEqual(['stale']);
    expect(await keysMatching(admin, `${base}:*`)).toEqual([]);
  });

  it('the tier then tests in the claim script, and reads the copies again at its next claim', async () => {
    // Prepare: a key completed beyond the exact window; the first read of the copies says it was
    // made long ago (as if this container's clock had stood still since).
    const base = `mskguard:{${uniqueName('copies')}}`;
    const writer = new RedisDedupTier({
      runner,
      baseKey: base,
      windowMs: HOUR,
      bloom: { ...PARAMS, copies: false },
    });
    const done = key();
    const claimed = await writer.claim([done], { leaseMs: 60_000, mode: 'exact' });
    await writer.complete(claimed.ticket, [done]);
    await admin.unlink(`${base}:x:${claimed.ticket.bucket}`);
    const { runner: oldFirstRead, calls } = throughRunner(runner, { read: agedFirstRead });
    const tier = new RedisDedupTier({ runner: oldFirstRead, baseKey: base, windowMs: HOUR, bloom: PARAMS });

    // Act
    const first = await tier.claim([done, key()], { leaseMs: 60_000, mode: 'probabilistic' });
    await tier.release(first.ticket);
    const second = await tier.claim([done, key()], { leaseMs: 60_000, mode: 'probabilistic' });

    // Assess
    expect([first.statuses, second.statuses]).toEqual([
      [ClaimStatus.Probable, ClaimStatus.New],
      [ClaimStatus.Probable, ClaimStatus.New],
    ]);
    expect(calls).toEqual(['snapshot', 'claim', 'claim', 'release', 'snapshot', 'claim']);
  });
});

/** The claim script's arguments for one key (exact mode off: probabilistic, 1 h window, 2 generations). */
function claimArgs(k: TierKey, bloom: string): string[] {
  return ['owner1', '60000', String(HOUR), '22', k.id, 'probabilistic', String(HOUR), '2', bloom];
}
