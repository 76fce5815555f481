// Owner tokens in the exact tier's buckets (decision 0016): each key holds a short per-bucket token
// of its owner, and keys written by a version before tokens (the owner id as value, state
// #<owner>) keep their meaning in the same bucket, through both adapters.
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis as IORedis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { sizeDistributedBloom } from '#shared/dedup/distributed-bloom.ts';
import { ClaimStatus, RedisDedupTier } from '#shared/dedup/exact.ts';
import { ADAPTERS, CountingRunner, randomKey } from '#test/support/runners.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const { New, Duplicate, InProgress, InDoubt } = ClaimStatus;
const HOUR = 3_600_000;

describe.each(Object.keys(ADAPTERS) as (keyof typeof ADAPTERS)[])('owner tokens over %s', (adapter) => {
  const runner = new CountingRunner(ADAPTERS[adapter]());
  const admin = new IORedis(stackEnv().REDIS_URL);
  afterAll(async () => {
    admin.disconnect();
    await runner.close();
  });

  /** A tier on a fresh group (with a distributed Bloom tier when given), and the hash of the bucket Redis is in now. */
  async function fresh(
    bloom?: ReturnType<typeof sizeDistributedBloom>,
  ): Promise<{ tier: RedisDedupTier; base: string; bucketKey: () => Promise<string> }> {
    const base = `mskguard:{${uniqueName('tok')}}`;
    const tier = new RedisDedupTier({ runner, baseKey: base, windowMs: HOUR, bloom });
    const bucketKey = async () => {
      const [s] = await admin.time();
      return `${base}:x:${Math.floor((Number(s) * 1000) / HOUR)}`;
    };
    return { tier, base, bucketKey };
  }

  it('stores a short token per owner as each key value, and names the dead owner, not its token, in doubt', async () => {
    // Prepare
    const { tier } = await fresh();
    const keys = [randomKey(), randomKey()];
    const dead = await tier.claim(keys, { leaseMs: 200, mode: 'exact' });

    // Act
    await sleep(300);
    const takeover = await tier.claim(keys, { leaseMs: 60_000, mode: 'exact' });

    // Assess
    expect(takeover.statuses).toEqual([InDoubt, InDoubt]);
    expect(takeover.inDoubt.map((d) => d.owner)).toEqual([dead.ticket.owner, dead.ticket.owner]);
  });

  it('writes tokens of at most 6 characters, one per owner, resolvable both ways', async () => {
    // Prepare
    const { tier, bucketKey } = await fresh();
    const a = [randomKey(), randomKey()];
    const b = [randomKey()];

    // Act
    const first = await tier.claim(a, { leaseMs: 60_000, mode: 'exact' });
    const second = await tier.claim(b, { leaseMs: 60_000, mode: 'exact' });
    const hash = await bucketKey();
    const [ta1, ta2, tb] = await admin.hmget(hash, a[0]!.id, a[1]!.id, b[0]!.id);

    // Assess
    expect(ta1).toMatch(/^\.[A-Za-z0-9_-]{1,5}$/);
    expect(ta2).toBe(ta1);
    expect(tb).not.toBe(ta1);
    expect(await admin.hget(hash, `@${first.ticket.owner}`)).toBe(ta1);
    expect(await admin.hget(hash, `~${tb}`)).toBe(second.ticket.owner);
    expect(Number(await admin.hget(hash, `#${tb}`))).toBeGreaterThan(0);
  });

  it('reads keys a version before tokens wrote in the same bucket: completed, live, and dead leases', async () => {
    // Prepare: the owner id as the value and #<owner> as its state, as claims wrote them before.
    const { tier, bucketKey } = await fresh();
    const [done, live, dead, fresh1] = [randomKey(), randomKey(), randomKey(), randomKey()];
    const hash = await bucketKey();
    const [s] = await admin.time();
    const nowMs = Number(s) * 1000;
    await admin.hset(hash, {
      [done.id]: 'legacyOwnerDone1',
      '#legacyOwnerDone1': 'C',
      [live.id]: 'legacyOwnerLive1',
      '#legacyOwnerLive1': String(nowMs + 60_000),
      [dead.id]: 'legacyOwnerDead1',
      '#legacyOwnerDead1': String(nowMs - 1_000),
    });

    // Act
    const claim = await tier.claim([done, live, dead, fresh1], { leaseMs: 60_000, mode: 'exact' });

    // Assess
    expect(claim.statuses).toEqual([Duplicate, InProgress, InDoubt, New]);
    expect(claim.inDoubt.map((d) => d.owner)).toEqual(['legacyOwnerDead1']);
    expect(claim.waits.map((w) => w.index)).toEqual([1]);
  });

  it('completes and releases the leases of an owner claimed by a version before tokens', async () => {
    // Prepare
    const { tier, bucketKey } = await fresh();
    const [kept, failed] = [randomKey(), randomKey()];
    const hash = await bucketKey();
    const [s] = await admin.time();
    const bucket = Math.floor((Number(s) * 1000) / HOUR);
    const expiry = String(Number(s) * 1000 + 60_000);
    await admin.hset(hash, {
      [kept.id]: 'legacyOwnerKept1',
      '#legacyOwnerKept1': expiry,
      [failed.id]: 'legacyOwnerFail1',
      '#legacyOwnerFail1': expiry,
    });

    // Act
    const completed = await tier.complete({ owner: 'legacyOwnerKept1', bucket }, [kept]);
    const released = await tier.release({ owner: 'legacyOwnerFail1', bucket });
    const again = await tier.claim([kept, failed], { leaseMs: 60_000, mode: 'exact' });

    // Assess
    expect(completed.completed).toBe(true);
    expect(released).toBe(true);
    expect(again.statuses).toEqual([Duplicate, New]);
  });
  it('looks up in the previous bucket only the keys not completed in the current one, each at its position', async () => {
    // Prepare: the previous bucket as an older claim left it (legacy values), the current one by claims.
    const { tier, bucketKey } = await fresh();
    const [curDone, prevDone, prevLive, both, fresh1] = [
      randomKey(),
      randomKey(),
      randomKey(),
      randomKey(),
      randomKey(),
    ];
    const done = await tier.claim([curDone, both], { leaseMs: 60_000, mode: 'exact' });
    await tier.complete(done.ticket, [curDone, both]);
    const current = await bucketKey();
    const bucket = Number(current.slice(current.lastIndexOf(':') + 1));
    const previous = `${current.slice(0, current.lastIndexOf(':'))}:${bucket - 1}`;
    const [s] = await admin.time();
    await admin.hset(previous, {
      [prevDone.id]: 'legacyOwnerPrev1',
      '#legacyOwnerPrev1': 'C',
      [prevLive.id]: 'legacyOwnerPrev2',
      '#legacyOwnerPrev2': String(Number(s) * 1000 + 60_000),
      [both.id]: 'legacyOwnerPrev3',
      '#legacyOwnerPrev3': String(Number(s) * 1000 - 1_000),
    });
    await admin.pexpire(previous, 60_000);

    // Act
    const claim = await tier.claim([curDone, prevDone, prevLive, both, fresh1], {
      leaseMs: 60_000,
      mode: 'exact',
    });

    // Assess
    expect(claim.statuses).toEqual([Duplicate, Duplicate, InProgress, Duplicate, New]);
    expect(claim.waits.map((w) => w.index)).toEqual([2]);
    expect(claim.inDoubt).toEqual([]);
  });

  it('leases the keys the Bloom tier tested under the owner token, so complete and release reach them (G1, G5)', async () => {
    // Prepare: with a distributed Bloom tier the claim leases its new keys in the Bloom pass.
    const bloom = sizeDistributedBloom({ keysPerGeneration: 10_000, generationMs: HOUR, generations: 2 });
    const { tier, bucketKey } = await fresh(bloom);
    const done = [randomKey(), randomKey()];
    const given = [randomKey(), randomKey()];
    const first = await tier.claim(done, { leaseMs: 60_000, mode: 'exact' });
    const second = await tier.claim(given, { leaseMs: 60_000, mode: 'exact' });
    const values = await admin.hmget(await bucketKey(), ...[...done, ...given].map((k) => k.id));

    // Act
    await tier.complete(first.ticket, done);
    await tier.release(second.ticket);
    const again = await tier.claim([...done, ...given], { leaseMs: 60_000, mode: 'exact' });

    // Assess
    for (const value of values) expect(value).toMatch(/^\.[A-Za-z0-9_-]{1,6}$/);
    expect(again.statuses).toEqual([Duplicate, Duplicate, New, New]);
  });
});
