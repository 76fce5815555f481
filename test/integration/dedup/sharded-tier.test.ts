// G1, G4 and G5 per key when a group's keys are spread over several hash tags (cacheShards > 1):
// one script per shard, in parallel, against the real Redis through both adapters; with
// MSKGUARD_TEST_REDIS=cluster (CI's second pass) the RESP cases run on the stack's Redis Cluster.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { ScriptRunner } from '#shared/cache/script-runner.ts';
import { CacheTiers } from '#shared/dedup/cache.ts';
import { ClaimStatus, type TierKey } from '#shared/dedup/exact.ts';
import { ShardedDedupTier, shardBaseKey, shardOf } from '#shared/dedup/sharded.ts';
import type { DerivedKey } from '#shared/keys/index.ts';
import { adminFor, isKeyField } from '#test/support/redis-admin.ts';
import { ADAPTERS, CountingRunner, ReplyLostRunner, randomKey } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

const { New, Duplicate, InProgress, InDoubt } = ClaimStatus;
const HOUR = 3_600_000;
const SHARDS = 4;

/** Keys with at least `perShard` in each of the shards. */
function spreadKeys(perShard: number, shards = SHARDS): TierKey[] {
  const counts = new Array<number>(shards).fill(0);
  const keys: TierKey[] = [];
  while (counts.some((c) => c < perShard)) {
    const key = randomKey();
    const s = shardOf(key, shards);
    if ((counts[s] as number) < perShard) {
      counts[s] = (counts[s] as number) + 1;
      keys.push(key);
    }
  }
  return keys;
}

describe.each(Object.keys(ADAPTERS) as (keyof typeof ADAPTERS)[])('ShardedDedupTier over %s', (adapter) => {
  const runner = new CountingRunner(ADAPTERS[adapter]());
  const tier = (
    group = uniqueName('sh'),
    r = runner as ConstructorParameters<typeof ShardedDedupTier>[0]['runner'],
  ) => new ShardedDedupTier({ runner: r, baseKey: `mskguard:{${group}}`, windowMs: HOUR, shards: SHARDS });
  afterAll(() => runner.close());

  it('claims with one script per shard, keeps the keys in order, and completes them (G1)', async () => {
    // Prepare
    const group = uniqueName('sh');
    const t = tier(group);
    const keys = spreadKeys(3);
    const calls = runner.calls.length;

    // Act
    const first = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });
    const done = await t.complete(first.ticket, keys);
    const again = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });

    // Assess
    expect(runner.calls.length - calls).toBe(3 * SHARDS);
    expect(first.statuses).toEqual(keys.map(() => New));
    expect(first.ticket.buckets.every((b) => typeof b === 'number')).toBe(true);
    expect(done).toEqual({ completed: true, released: 0 });
    expect(again.statuses).toEqual(keys.map(() => Duplicate));
  });

  it('writes each key under its own shard hash tag, and nothing under the unsharded one', async () => {
    // Prepare
    const group = uniqueName('sh');
    const keys = spreadKeys(2);
    const t = tier(group);

    // Act
    const claim = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });

    // Assess: each shard's bucket holds exactly the ids routed to it, and the unsharded tag nothing.
    const admin = adminFor(adapter);
    try {
      for (let s = 0; s < SHARDS; s++) {
        const hash = `${shardBaseKey(`mskguard:{${group}}`, s, SHARDS)}:x:${claim.ticket.buckets[s]}`;
        const fields = (await admin.hkeys(hash)).filter(isKeyField);
        const expected = keys.filter((k) => shardOf(k, SHARDS) === s).map((k) => k.id);
        expect(fields.sort()).toEqual(expected.sort());
      }
      expect(await admin.exists(`mskguard:{${group}}:x:${claim.ticket.buckets[0]}`)).toBe(0);
    } finally {
      admin.disconnect();
    }
  });

  it('gives each key to exactly one of two concurrent claims, whatever its shard (G4)', async () => {
    // Prepare
    const t = tier();
    const keys = spreadKeys(10);

    // Act
    const [a, b] = await Promise.all([
      t.claim(keys, { leaseMs: 60_000, mode: 'exact' }),
      t.claim(keys, { leaseMs: 60_000, mode: 'exact' }),
    ]);

    // Assess: per key one New and one InProgress (each shard's script decides its keys alone).
    for (let i = 0; i < keys.length; i++) {
      expect([a.statuses[i], b.statuses[i]].sort()).toEqual([InProgress, New].sort());
    }
    expect(a.waits.length + b.waits.length).toBe(keys.length);
  });

  it('releases on every shard, so a retry processes every key (G5)', async () => {
    // Prepare
    const t = tier();
    const keys = spreadKeys(2);
    const failed = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });

    // Act
    const held = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });
    await t.release(failed.ticket);
    const retry = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });

    // Assess
    expect(held.statuses).toEqual(keys.map(() => InProgress));
    expect(retry.statuses).toEqual(keys.map(() => New));
  });

  it('completes some keys and releases the rest across shards (partial batch)', async () => {
    // Prepare
    const t = tier();
    const keys = spreadKeys(2);
    const claim = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });
    const done = keys.filter((_, i) => i % 2 === 0);
    const undone = keys.filter((_, i) => i % 2 === 1);

    // Act
    const result = await t.complete(claim.ticket, done, undone);
    const retry = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });

    // Assess
    expect(result).toEqual({ completed: true, released: undone.length });
    expect(retry.statuses).toEqual(keys.map((_, i) => (i % 2 === 0 ? Duplicate : New)));
  });

  it("reports a crashed holder's keys in doubt on every shard, with their positions (G5)", async () => {
    // Prepare
    const t = tier();
    const keys = spreadKeys(1);
    const crashed = await t.claim(keys, { leaseMs: 1500, mode: 'exact' });
    await sleep(1600);

    // Act
    const after = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });

    // Assess
    expect(after.statuses).toEqual(keys.map(() => InDoubt));
    expect(after.inDoubt.map((d) => d.index).sort()).toEqual(keys.map((_, i) => i));
    expect(after.inDoubt.every((d) => d.owner === crashed.ticket.owner && d.key === keys[d.index])).toBe(
      true,
    );
  });

  it('gives back every shard of a claim whose reply was lost, then the keys are free (G5)', async () => {
    // Prepare: the claim runs on every shard; the reply of one shard is lost on the way back.
    const lossy = new ReplyLostRunner(ADAPTERS[adapter]());
    const t = tier(uniqueName('sh'), lossy);
    const keys = spreadKeys(2);
    lossy.loseNextReply('claim');
    const sentAt = Date.now();
    const lost = await t.claim(keys, { leaseMs: 60_000, mode: 'exact', owner: 'lost-owner' }).catch((e) => e);

    // Act
    const meanwhile = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });
    await t.release({ owner: 'lost-owner', around: t.bucketsAround(sentAt) });
    await t.release(meanwhile.ticket);
    const after = await t.claim(keys, { leaseMs: 60_000, mode: 'exact' });
    await lossy.close();

    // Assess: the lost claim had leased on every shard; the release freed them all.
    expect(lost).toBeInstanceOf(Error);
    expect(meanwhile.statuses).toEqual(keys.map(() => InProgress));
    expect(after.statuses).toEqual(keys.map(() => New));
  });
});

describe('ShardedDedupTier with one shard', () => {
  it('uses the unsharded keys, so a group keeps its state when sharding is left off', async () => {
    // Prepare
    const group = uniqueName('sh1');
    const runner = ADAPTERS.resp();
    const one = new ShardedDedupTier({ runner, baseKey: `mskguard:{${group}}`, windowMs: HOUR });
    const keys = [randomKey(), randomKey()];

    // Act
    const claim = await one.claim(keys, { leaseMs: 60_000, mode: 'exact' });
    const admin = adminFor('resp');
    const stored = await admin.hkeys(`mskguard:{${group}}:x:${claim.ticket.buckets[0]}`);
    admin.disconnect();
    await runner.close();

    // Assess
    expect(claim.ticket.buckets).toHaveLength(1);
    expect(stored.filter(isKeyField).sort()).toEqual(keys.map((k) => k.id).sort());
  });
});

describe('a lease wait that a window boundary passes on some shards only', () => {
  it('keeps what the other shards leased in the ticket bucket and gives back only the moved part (G1, G4)', async () => {
    // Prepare: another owner holds W0 (shard 0) and W1 (shard 1) and gives them back just before
    // the wait claims them again; A0 (shard 0) is free. Shards pass a boundary one by one (their
    // scripts run apart): here shard 1's re-claim runs with half the window length, so it truly
    // leases in another bucket than the ticket names.
    const SHARDS_HERE = 2;
    const group = uniqueName('shw');
    const baseKey = `mskguard:{${group}}`;
    const runner = ADAPTERS.resp();
    const keyIn = (shard: number): TierKey => {
      for (;;) {
        const key = randomKey();
        if (shardOf(key, SHARDS_HERE) === shard) return key;
      }
    };
    const [a0, w0, w1] = [keyIn(0), keyIn(0), keyIn(1)];
    const tier = () => new ShardedDedupTier({ runner, baseKey, windowMs: HOUR, shards: SHARDS_HERE });
    const holder = tier();
    const held = await holder.claim([w0, w1], { leaseMs: 60_000, mode: 'exact' });
    let claims = 0;
    let handedBack: Promise<boolean> | undefined;
    const boundaryOnShard1: ScriptRunner = {
      kind: runner.kind,
      close: async () => {},
      run: async (script, keys, args) => {
        // The first claim runs once per shard; every later one is the wait's re-claim.
        const again = script.name === 'claim' && ++claims > SHARDS_HERE;
        if (again) {
          handedBack ??= holder.release(held.ticket);
          await handedBack;
        }
        const moved = again && keys[0]!.includes('|s1');
        return runner.run(script, keys, moved ? args.map((a, i) => (i === 2 ? String(HOUR / 2) : a)) : args);
      },
    };
    const tiers = new CacheTiers({
      cache: boundaryOnShard1,
      baseKey: () => baseKey,
      windowMs: HOUR,
      bloom: undefined,
      shards: SHARDS_HERE,
      onCacheUnavailable: 'fail',
      onError: (error) => {
        throw error;
      },
    });

    // Act: the claim waits out the holder, then claims W0 and W1 again.
    const claim = await tiers.claim(
      [a0, w0, w1] as DerivedKey[],
      { leaseMs: () => 20_000, remainingMs: () => 20_000 },
      'exact',
    );
    const meanwhile = await tier().claim([a0, w0, w1], { leaseMs: 20_000, mode: 'exact' });
    await tiers.complete(claim.ticket!, [a0, w0] as DerivedKey[], []);
    const after = await tier().claim([a0, w0], { leaseMs: 20_000, mode: 'exact' });
    await runner.close();

    // Assess: A0 and W0 stay this owner's and are completed by it; W1 was leased in the moved bucket
    // only, given back there (free for the next claim), and is retried.
    expect(claim.statuses).toEqual([New, New, InProgress]);
    expect(meanwhile.statuses).toEqual([InProgress, InProgress, New]);
    expect(after.statuses).toEqual([Duplicate, Duplicate]);
  });
});
