// The fault suite, part 2 (design §2, G1–G6 end to end): faults of the services around the
// consumer — Redis flushed or unreachable (onCacheUnavailable 'fail' and 'degrade'), DynamoDB
// unreachable, and the group's offsets lost (reset to earliest, or to latest and then restored from
// the checkpoints) — each against the real Redis and DynamoDB Local under a simulated Lambda
// poller. For every scenario: each unique business key has exactly one effect, and none is lost.
// Crashes, handler errors and concurrent deliveries: crash-and-outage.consumer-faults.test.ts;
// the faults, workload and consumer both use: crash-and-outage-fixture.ts.
import { describe, expect, it } from 'vitest';
import { forgetGroupKeys } from '#test/support/redis-admin.ts';
import { useCrashAndOutageFixture } from './crash-and-outage-fixture.ts';

describe('fault injection: one effect per key, nothing lost', () => {
  const { store, startScenario, consumer, verify } = useCrashAndOutageFixture('fault suite: service faults');

  it('Redis flushed mid-run', async () => {
    // Redeliveries after the loss are the watermark's (DynamoDB): each record still once. A
    // producer duplicate at a new offset whose original completed before the loss is beyond any
    // tier once Redis forgot it (README, "what Redis loss forgets"): this workload has none.
    const { group, faults, sim, unique } = startScenario(false);
    let forgotten = 0;
    await sim.drain(consumer(group, faults), async (i) => {
      // After the first invocation: a batch has completed keys in Redis, and more batches follow.
      if (i === 1) {
        forgotten = await forgetGroupKeys(group);
        sim.setCommitted((p) => Math.max(0, (sim.committed.get(p) ?? 0) - 5)); // and a rebalance replays 5
      }
    });
    expect(forgotten).toBeGreaterThan(0);
    await verify('Redis flushed mid-run (and 5 records replayed)', group, sim, unique);
  });

  it("Redis unreachable, onCacheUnavailable 'fail'", async () => {
    const { group, faults, sim, unique } = startScenario();
    await sim.drain(consumer(group, faults), (i) => {
      faults.cacheDown = i >= 2 && i < 4;
    });
    const row = await verify("Redis unreachable, 'fail'", group, sim, unique);
    expect(row.failed).toBeGreaterThanOrEqual(2);
  });

  it("Redis unreachable, onCacheUnavailable 'degrade' (probabilistic: local-filter hits quarantined)", async () => {
    const { group, faults, sim, unique } = startScenario();
    const quarantined: string[] = [];
    const handler = consumer(group, faults, {
      onCacheUnavailable: 'degrade',
      mode: 'probabilistic',
      quarantine: { put: async (entries) => quarantined.push(...entries.map((e) => e.idempotencyKey)) },
    });
    await sim.drain(handler, (i) => {
      faults.cacheDown = i >= 3;
    });
    await verify("Redis unreachable, 'degrade' (probabilistic)", group, sim, unique);
    expect(quarantined.length).toBeGreaterThan(0);
  });

  it('DynamoDB unreachable', async () => {
    const { group, faults, sim, unique } = startScenario();
    await sim.drain(consumer(group, faults), (i) => {
      faults.tableDown = i === 2;
    });
    const row = await verify('DynamoDB unreachable', group, sim, unique);
    expect(row.failed).toBeGreaterThanOrEqual(1);
  });

  it('offsets lost: reset to earliest mid-run (recover from the watermark)', async () => {
    const { group, faults, sim, unique } = startScenario();
    await sim.drain(consumer(group, faults), (i) => {
      if (i === 3) sim.setCommitted(() => 0);
    });
    await verify('offsets reset to earliest mid-run', group, sim, unique);
  });

  it('offsets lost: reset to latest, then restored from the checkpoints', async () => {
    const { group, faults, sim, unique } = startScenario();
    await sim.drain(consumer(group, faults), async (i) => {
      if (i === 2) {
        // The group's offsets jump to the end (records skipped), then the checkpoint strategy of
        // `mskguard restore` puts back each partition's checkpoint (0 where none was written).
        const checkpoints = new Map(
          (await store.listCurrent(group, 'orders')).map((c) => [c.partition, c.nextOffset]),
        );
        sim.setCommitted((_, end) => end);
        sim.setCommitted(checkpoints);
      }
    });
    await verify('offsets lost to latest, restored from checkpoints', group, sim, unique);
  });
});
