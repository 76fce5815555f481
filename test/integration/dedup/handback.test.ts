// G1 for keys in doubt given back before their doubt was settled (handback-1.lua, decision 0006):
// handed back, a key names its dead owner again, so the next claim finds it in doubt and asks about
// that owner's commit, instead of finding it new. Against the real Redis through both adapters.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { ClaimStatus, RedisDedupTier, type TierKey } from '#shared/dedup/exact.ts';
import { adminFor, clearOfBucketEnd } from '#test/support/redis-admin.ts';
import { ADAPTERS, randomKey } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

const { InDoubt, InProgress } = ClaimStatus;
const HOUR = 3_600_000;
// Long enough for a claim's round trip: the lease has run out once a test has slept it.
const SHORT_LEASE_MS = 50;

describe.each(Object.keys(ADAPTERS) as (keyof typeof ADAPTERS)[])('handBack over %s', (adapter) => {
  const runner = ADAPTERS[adapter]();
  const tier = (baseKey = `mskguard:{${uniqueName('hb')}}`) =>
    new RedisDedupTier({ runner, baseKey, windowMs: HOUR });
  afterAll(() => runner.close());

  /** A claim of `keys` by an owner that then dies: its leases run out, its keys are in doubt. */
  async function dies(t: RedisDedupTier, keys: TierKey[]): Promise<string> {
    const { ticket } = await t.claim(keys, { leaseMs: SHORT_LEASE_MS, mode: 'exact' });
    await sleep(SHORT_LEASE_MS + 20);
    return ticket.owner;
  }

  it('gives keys taken over in the same bucket back to their dead owner, and only those still held (G1)', async () => {
    // Prepare: X dies holding k and m; Y takes both over, and its own lease on m runs out, so W
    // takes m over from Y.
    await clearOfBucketEnd(HOUR, 5_000);
    const t = tier();
    const [k, m] = [randomKey(), randomKey()];
    const x = await dies(t, [k, m]);
    const y = await t.claim([k, m], { leaseMs: SHORT_LEASE_MS, mode: 'exact' });
    await sleep(SHORT_LEASE_MS + 20);
    const w = await t.claim([m], { leaseMs: 60_000, mode: 'exact' });

    // Act: Y gives its claim back before settling its doubts.
    const handed = await t.handBack(y.ticket, [
      { key: k, owner: x },
      { key: m, owner: x },
    ]);
    await t.release(y.ticket);
    const next = await t.claim([k], { leaseMs: 60_000, mode: 'exact' });

    // Assess: k names X again; m, which W holds now, was left alone.
    expect(y.inDoubt.map((d) => d.owner)).toEqual([x, x]);
    // m's last owner Y died, and Y had taken it over from X without settling: both are asked about.
    expect(w.inDoubt.map((d) => d.owner)).toEqual([y.ticket.owner, x]);
    expect(handed).toBe(1);
    expect(next.statuses).toEqual([InDoubt]);
    expect(next.inDoubt.map((d) => d.owner)).toEqual([x]);
  });

  it("deletes the taker's field when the dead owner held the key in the previous bucket, which still names it", async () => {
    // Prepare: X's lease is in the previous bucket (its bucket renamed there); Y takes the key over
    // in the current one.
    await clearOfBucketEnd(HOUR, 5_000);
    const baseKey = `mskguard:{${uniqueName('hb')}}`;
    const t = tier(baseKey);
    const k = randomKey();
    const { ticket } = await t.claim([k], { leaseMs: SHORT_LEASE_MS, mode: 'exact' });
    const admin = adminFor(adapter);
    await admin.rename(`${baseKey}:x:${ticket.bucket}`, `${baseKey}:x:${ticket.bucket - 1}`);
    await sleep(SHORT_LEASE_MS + 20);
    const x = ticket.owner;
    const taken = await t.claim([k], { leaseMs: 60_000, mode: 'exact' });

    // Act
    const handed = await t.handBack(taken.ticket, [{ key: k, owner: x }]);
    await t.release(taken.ticket);
    const stillInCurrent = await admin.hexists(`${baseKey}:x:${taken.ticket.bucket}`, k.id);
    const next = await t.claim([k], { leaseMs: 60_000, mode: 'exact' });
    admin.disconnect();

    // Assess
    expect(taken.inDoubt.map((d) => d.owner)).toEqual([x]);
    expect(handed).toBe(1);
    expect(stillInCurrent).toBe(0);
    expect(next.inDoubt.map((d) => d.owner)).toEqual([x]);
  });

  it('refuses dead owners that do not match the ids, before writing anything', async () => {
    // Prepare
    const t = tier();
    const k = randomKey();
    const x = await dies(t, [k]);
    const y = await t.claim([k], { leaseMs: 60_000, mode: 'exact' });

    // Act: two owners for one id (an owner name holding a space would read so).
    const act = t.handBack(y.ticket, [{ key: k, owner: `${x} extra` }]);

    // Assess: k still names Y, whose lease is live.
    await expect(act).rejects.toThrow(/handback: 2 dead owners for 1 ids/);
    const next = await t.claim([k], { leaseMs: 60_000, mode: 'exact' });
    expect(next.statuses).toEqual([InProgress]);
  });
});
