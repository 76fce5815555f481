// The fault suite, part 1 (design §2, G1–G6 end to end): the consumer's own faults — crashes at
// every step of an invocation, handler errors and partial failures, and concurrent deliveries of
// the same keys — each against the real Redis and DynamoDB Local under a simulated Lambda poller.
// For every scenario: each unique business key has exactly one effect, and none is lost. Redis
// flushed or unreachable, DynamoDB unreachable and offsets lost:
// crash-and-outage.service-faults.test.ts; the faults, workload and consumer both use:
// crash-and-outage-fixture.ts.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { mskGuard } from '#shared/middleware/mskGuard.ts';
import { type KafkaEvent, parseMskEvent, processRecordsInOrder } from '#shared/msk/index.ts';
import { LambdaSimulator } from '#test/support/lambda-sim.ts';
import { TEST_CACHE_SHARDS } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';
import {
  type CrashPoint,
  Faults,
  faultyRunner,
  faultyStore,
  useCrashAndOutageFixture,
} from './crash-and-outage-fixture.ts';

describe('fault injection: one effect per key, nothing lost', () => {
  const { store, runner, workload, startScenario, consumer, tally, verify } = useCrashAndOutageFixture(
    'fault suite: consumer faults',
  );

  const crashes: [string, CrashPoint][] = [
    ['crash after claim', 'after-claim'],
    ['crash mid-handler', 'mid-handler'],
    ['crash after the handler, before the checkpoint', 'before-checkpoint'],
    ['crash after the checkpoint, before complete', 'after-checkpoint'],
  ];
  it.each(crashes)('%s', async (scenario, point) => {
    const { group, faults, sim, unique } = startScenario();
    await sim.drain(consumer(group, faults), (i) => {
      if (i === 1) faults.crashAt = point;
    });
    const row = await verify(scenario, group, sim, unique);
    // At least the injected crash (Middy's early timeout is off here, so a hung invocation dies
    // holding its leases, as a crashed process does); a loaded machine may time out another one.
    expect(row.crashed).toBeGreaterThanOrEqual(1);
  });

  it('crash after complete, before the checkpoint (effects outside DynamoDB: completes concurrently)', async () => {
    // Effects that are not staged: the handler's own writes, then complete and checkpoint together.
    const { group, faults, sim, unique } = startScenario();
    const seen = new Map<string, number>();
    const handler = middy<KafkaEvent, unknown, Error, Context>({ timeoutEarlyInMillis: 0 })
      .use(
        mskGuard({
          consumerGroup: group,
          cache: faultyRunner(runner, faults),
          cacheShards: TEST_CACHE_SHARDS,
          checkpoints: faultyStore(store, faults),
          leaseMarginMs: 0,
        }),
      )
      .handler(
        async (event) =>
          (
            await processRecordsInOrder(parseMskEvent(event), (record) => {
              const key = record.lastHeader('idempotency-key')?.toString() ?? '';
              seen.set(key, (seen.get(key) ?? 0) + 1);
            })
          ).response,
      ) as unknown as (event: unknown, context: Context) => Promise<unknown>;
    await sim.drain(handler, (i) => {
      if (i === 1) faults.crashAt = 'after-complete';
    });
    tally('crash after complete, before the checkpoint', sim, unique, (k) => seen.get(k) ?? 0);
  });

  it('crash after the checkpoint and complete, before the offset commit (the poller loses it)', async () => {
    const { group, faults, sim, unique } = startScenario();
    let before: Map<number, number> | undefined;
    await sim.drain(consumer(group, faults), (i) => {
      // Invocation 1 succeeds (checkpoint and complete done), then its commit never happens.
      if (i === 1) before = new Map(sim.committed);
      if (i === 2 && before) sim.setCommitted(before);
    });
    const row = await verify('crash after the checkpoint, before the offset commit', group, sim, unique);
    // The lost commit costs one more invocation, which hands the handler nothing new.
    expect(row.invocations).toBeGreaterThan(3);
  });

  it('handler errors and partial failures', async () => {
    const { group, faults, sim, unique } = startScenario();
    faults.failKeys = new Map([
      ['k7', 2],
      ['k20', 1],
      ['k33', 3],
    ]);
    await sim.drain(consumer(group, faults));
    const row = await verify('handler errors and partial failures', group, sim, unique);
    expect(row.failed).toBeGreaterThan(0);
  });

  it('concurrent delivery of the same keys to two consumers', async () => {
    const group = uniqueName('fault');
    const faults = new Faults();
    const a = new LambdaSimulator('orders-a', { batchSize: 8 });
    const b = new LambdaSimulator('orders-b', { batchSize: 8 });
    const unique = workload(a);
    workload(b);
    // Nothing crashes here, and the simulator's timeout does not stop a slow handler as Lambda
    // would: a lease margin keeps a stall on a loaded machine from passing for a crash.
    const guarded = () => consumer(group, faults, { leaseMarginMs: 5000 });
    await Promise.all([a.drain(guarded()), b.drain(guarded())]);
    const merged = new LambdaSimulator('merged');
    merged.outcomes.push(...a.outcomes, ...b.outcomes);
    await verify('concurrent delivery to two consumers', group, merged, unique);
  });
});
