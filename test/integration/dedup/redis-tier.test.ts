// G1 (a completed key is a duplicate), G4 (one owner per live lease), G5 (release and lease
// expiry let a retry process), against the real Redis through both adapters (RESP and the Upstash
// REST endpoint). The distributed Bloom tier's part (G2): redis-tier.bloom.test.ts.
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis as IORedis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstashRestServer } from '#local/upstash-rest/server.ts';
import { scripts } from '#lua/scripts.generated.ts';
import { UpstashScriptRunner } from '#shared/cache/upstash.ts';
import type { sizeDistributedBloom } from '#shared/dedup/distributed-bloom.ts';
import { ClaimStatus, RedisDedupTier } from '#shared/dedup/exact.ts';
import { clearOfBucketEnd, redisNowMs } from '#test/support/redis-admin.ts';
import { ADAPTERS, CountingRunner, randomKey } from '#test/support/runners.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const { New, Duplicate, InProgress, InDoubt } = ClaimStatus;
const HOUR = 3_600_000;

describe.each(Object.keys(ADAPTERS) as (keyof typeof ADAPTERS)[])('RedisDedupTier over %s', (adapter) => {
  const runner = new CountingRunner(ADAPTERS[adapter]());
  const tier = (windowMs = HOUR, bloom?: ReturnType<typeof sizeDistributedBloom>) =>
    new RedisDedupTier({ runner, baseKey: `mskguard:{${uniqueName('g')}}`, windowMs, bloom });
  afterAll(() => runner.close());

  it('leases new keys, and reports them as duplicates once completed (G1)', async () => {
    // Prepare
    const t = tier();
    const keys = [randomKey(), randomKey(), randomKey()];

    // Act
    const first = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });
    const done = await t.complete(first.ticket, keys);
    const again = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });

    // Assess
    expect(first.statuses).toEqual([New, New, New]);
    expect(done).toEqual({ completed: true, released: 0 });
    expect(again.statuses).toEqual([Duplicate, Duplicate, Duplicate]);
  });

  it('gives a live lease to exactly one of two concurrent claims (G4)', async () => {
    // Prepare
    const t = tier();
    const keys = Array.from({ length: 50 }, randomKey);

    // Act
    const [a, b] = await Promise.all([
      t.claim(keys, { leaseMs: 60_000, mode: 'exact' }),
      t.claim(keys, { leaseMs: 60_000, mode: 'exact' }),
    ]);

    // Assess
    for (let i = 0; i < keys.length; i++) {
      expect([a.statuses[i], b.statuses[i]].sort()).toEqual([InProgress, New].sort());
    }
    expect(new Set(a.statuses).size).toBe(1);
  });

  it('lets a retry process keys after a release, and only then (G5)', async () => {
    // Prepare
    const t = tier();
    const keys = [randomKey(), randomKey()];
    const failed = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });
    const whileHeld = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });

    // Act
    const released = await t.release(failed.ticket);
    const retry = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });

    // Assess
    expect(whileHeld.statuses).toEqual([InProgress, InProgress]);
    expect(released).toBe(true);
    expect(retry.statuses).toEqual([New, New]);
    expect(await t.release(failed.ticket)).toBe(false);
  });

  it("frees a crashed holder's keys when its lease expires (G5)", async () => {
    // Prepare
    const t = tier();
    const keys = [randomKey()];
    await t.claim(keys, { leaseMs: 3000, mode: 'exact' });

    // Act
    const during = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });
    await sleep(3100);
    const after = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });

    // Assess: leased to the new claimer, flagged in doubt (did the dead holder commit?) with its owner.
    expect(during.statuses).toEqual([InProgress]);
    expect(after.statuses).toEqual([InDoubt]);
    expect(after.inDoubt.map((d) => d.key.id)).toEqual([keys[0]?.id]);
    expect((await t.claim(keys, { leaseMs: 60_000, mode: 'exact' })).statuses).toEqual([InProgress]);
  });

  it('fences a late complete: keys taken over after the lease expired stay with the new owner', async () => {
    // Prepare: all in one bucket (a late complete in the bucket before the takeover's would mark
    // the old owner's keys completed there, which the lookup then reads as DUPLICATE).
    await clearOfBucketEnd(HOUR, 10_000);
    const t = tier();
    const keys = [randomKey(), randomKey()];
    const slow = await t.claim(keys, { leaseMs: 200, mode: 'exact' });
    await sleep(300);
    const takeover = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });

    // Act
    await t.complete(slow.ticket, keys);
    const whileNewOwnerWorks = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });
    await t.release(takeover.ticket);
    const afterNewOwnerFailed = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });

    // Assess
    expect(takeover.statuses).toEqual([InDoubt, InDoubt]);
    expect(new Set(takeover.inDoubt.map((d) => d.owner))).toEqual(new Set([slow.ticket.owner]));
    expect(whileNewOwnerWorks.statuses).toEqual([InProgress, InProgress]);
    // Released by the owner that took them over in doubt, the keys are in doubt again about the
    // owner they were taken from (claim-1.lua `?<id>`): its commit decides, never the release.
    expect(afterNewOwnerFailed.statuses).toEqual([InDoubt, InDoubt]);
    expect(new Set(afterNewOwnerFailed.inDoubt.map((d) => d.owner))).toEqual(new Set([slow.ticket.owner]));
  });

  it('completes what preceded a failure and releases the rest, in one call (partial batch)', async () => {
    // Prepare
    const t = tier();
    const keys = Array.from({ length: 6 }, randomKey);
    const claim = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });
    const calls = runner.calls.length;

    // Act
    const result = await t.complete(claim.ticket, keys.slice(0, 4), keys.slice(4));
    const retry = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });

    // Assess
    expect(runner.calls.length - calls).toBe(2);
    expect(result).toEqual({ completed: true, released: 2 });
    expect(retry.statuses).toEqual([Duplicate, Duplicate, Duplicate, Duplicate, New, New]);
  });

  it('recognises completed keys for at least one window and forgets them after two', async () => {
    // Prepare
    // A 2 s window: the "soon" claim must land within it even on a loaded machine.
    const t = tier(2000);
    const keys = [randomKey()];
    const claim = await t.claim(keys, { leaseMs: 500, mode: 'exact' });
    await t.complete(claim.ticket, keys);

    // Act
    const soon = await t.claim(keys, { leaseMs: 500, mode: 'exact' });
    await sleep(4100);
    const later = await t.claim(keys, { leaseMs: 500, mode: 'exact' });

    // Assess
    expect(soon.statuses).toEqual([Duplicate]);
    expect(later.statuses).toEqual([New]);
  });

  it('unlinks the bucket before last at the next claim instead of leaving it to expire', async () => {
    // Prepare: a bucket's expiry comes a minute after the window it is last read in; freeing a
    // whole window of keys then would block Redis, so the claims of the window after unlink it.
    const base = `mskguard:{${uniqueName('g')}}`;
    const t = new RedisDedupTier({ runner, baseKey: base, windowMs: 1000 });
    const admin = new IORedis(stackEnv().REDIS_URL);
    await clearOfBucketEnd(1000, 800); // the claim lands in the bucket it starts in
    const keys = [randomKey()];
    const first = await t.claim(keys, { leaseMs: 500, mode: 'exact' });
    await t.complete(first.ticket, keys);
    const old = `${base}:x:${first.ticket.bucket}`;
    const existedBefore = await admin.exists(old);

    // Act: exactly two windows on (the bucket before last is the first one), 300 ms into it.
    await sleep(Math.max(0, (first.ticket.bucket + 2) * 1000 + 300 - (await redisNowMs())));
    const later = await t.claim([randomKey()], { leaseMs: 500, mode: 'exact' });

    // Assess
    expect(later.ticket.bucket).toBe(first.ticket.bucket + 2);
    expect(existedBefore).toBe(1);
    expect(await admin.exists(old)).toBe(0);
    admin.disconnect();
  });

  it('claims and completes 10,000 keys in one round trip each, with 17% duplicates', async () => {
    // Prepare
    const t = tier();
    const keys = Array.from({ length: 10_000 }, randomKey);
    const dupes = keys.slice(0, 1700);
    const pre = await t.claim(dupes, { leaseMs: 60_000, mode: 'exact' });
    await t.complete(pre.ticket, dupes);
    const calls = runner.calls.length;

    // Act
    const claim = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });
    const fresh = keys.filter((_, i) => claim.statuses[i] === New);
    await t.complete(claim.ticket, fresh);

    // Assess
    expect(runner.calls.length - calls).toBe(2);
    expect(claim.statuses.filter((s) => s === Duplicate)).toHaveLength(1700);
    expect(fresh).toHaveLength(8300);
  });

  it('runs a script the server does not hold: NOSCRIPT, then EVAL, which caches it', async () => {
    // Prepare: a copy of the claim script no server has seen (as after a restart or a SCRIPT
    // FLUSH), without flushing the script cache other suites share.
    const source = `${scripts.claim.source}\n-- ${randomUUID()}`;
    const copy = { ...scripts.claim, sha1: createHash('sha1').update(source).digest('hex'), source };
    const direct = new IORedis(stackEnv().REDIS_URL);
    const base = `mskguard:{${uniqueName('g')}}`;
    const args = (owner: string) => [owner, '1000', String(HOUR), '1', 'ab', 'exact', '0', '0', ''];
    const [heldBefore] = (await direct.script('EXISTS', copy.sha1)) as number[];

    // Act
    const first = (await runner.run(copy, [base], args('o1'))) as unknown[];
    const [heldAfter] = (await direct.script('EXISTS', copy.sha1)) as number[];
    const second = (await runner.run(copy, [base], args('o2'))) as unknown[];

    // Assess
    expect(heldBefore).toBe(0);
    expect(first[0]).toBe('NN');
    expect(heldAfter).toBe(1);
    expect(second[0]).toBe('II');
    await direct.quit();
  });
});

describe('RedisDedupTier round trips at the Upstash endpoint', () => {
  let endpoint: Awaited<ReturnType<typeof startUpstashRestServer>>;
  beforeAll(async () => {
    endpoint = await startUpstashRestServer({ redisUrl: stackEnv().REDIS_URL, token: 'count' });
  });
  afterAll(() => endpoint.close());

  it('sends exactly one HTTP request for the claim and one for the complete of 10,000 keys', async () => {
    // Prepare
    const runner = new UpstashScriptRunner({ url: endpoint.url, token: 'count' });
    const t = new RedisDedupTier({ runner, baseKey: `mskguard:{${uniqueName('rt')}}`, windowMs: HOUR });
    // Warm: the first use of each script may cost a NOSCRIPT answer and an EVAL.
    const warm = [randomKey()];
    await t.complete((await t.claim(warm, { leaseMs: 1000, mode: 'exact' })).ticket, warm);
    const keys = Array.from({ length: 10_000 }, randomKey);
    const before = endpoint.stats().requests;

    // Act
    const claim = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });
    await t.complete(claim.ticket, keys);

    // Assess
    expect(endpoint.stats().requests - before).toBe(2);
  });
});
