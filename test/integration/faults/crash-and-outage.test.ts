// The fault suite (design §2, all of G1–G6 end to end): crashes at every step of an invocation,
// handler errors, concurrent deliveries, Redis flushed or unreachable, DynamoDB unreachable and
// offsets lost, each against the real Redis and DynamoDB Local under a simulated Lambda poller.
// For every scenario: each unique business key has exactly one effect, and none is lost.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LuaScript, ScriptArg, ScriptRunner } from '#shared/cache/script-runner.ts';
import type { CheckpointStore } from '#shared/checkpoints/types.ts';
import { CacheUnavailableError } from '#shared/errors.ts';
import { stageEffects } from '#shared/middleware/effects.ts';
import { mskGuard } from '#shared/middleware/mskGuard.ts';
import type { MskGuardOptions } from '#shared/middleware/options.ts';
import { type KafkaEvent, parseMskEvent, processRecordsInOrder } from '#shared/msk/index.ts';
import { useCheckpointStore } from '#test/support/checkpoint-fixture.ts';
import { EffectsLedger } from '#test/support/effects-ledger.ts';
import { crash, LambdaSimulator } from '#test/support/lambda-sim.ts';
import { forgetGroupKeys } from '#test/support/redis-admin.ts';
import { TEST_CACHE_SHARDS } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

type CrashPoint = 'after-claim' | 'mid-handler' | 'before-checkpoint' | 'after-checkpoint' | 'after-complete';

/** One armed fault, fired once by the wrappers or the handler. */
class Faults {
  public crashAt: CrashPoint | undefined;
  public cacheDown = false;
  public tableDown = false;
  public failKeys = new Map<string, number>();
  public fire(point: CrashPoint): boolean {
    if (this.crashAt !== point) return false;
    this.crashAt = undefined;
    return true;
  }
}

/** The cache runner, with crash points around claim and complete, and an outage switch. */
function faultyRunner(inner: ScriptRunner, faults: Faults): ScriptRunner {
  return {
    kind: inner.kind,
    close: () => inner.close(),
    async run(script: LuaScript, keys: readonly string[], args: readonly ScriptArg[]) {
      if (faults.cacheDown) throw new CacheUnavailableError('injected: Redis unreachable');
      const reply = await inner.run(script, keys, args);
      if (script.name === 'claim' && faults.fire('after-claim')) return crash();
      if (script.name === 'complete' && faults.fire('after-complete')) return crash();
      return reply;
    },
  };
}

/** The checkpoint store, with crash points around the checkpoint write, and an outage switch. */
function faultyStore(inner: CheckpointStore, faults: Faults): CheckpointStore {
  const down = () => {
    if (faults.tableDown) throw new Error('injected: DynamoDB unreachable');
  };
  return {
    async load(group, partitions) {
      down();
      return inner.load(group, partitions);
    },
    listCurrent: (group, topic) => inner.listCurrent(group, topic),
    historyAt: (group, topic, at) => inner.historyAt(group, topic, at),
    bumpEpoch: (group, meta) => inner.bumpEpoch(group, meta),
    committedOwners: (group, owners) => inner.committedOwners(group, owners),
    async advance(group, updates, meta) {
      down();
      if (faults.fire('before-checkpoint')) return crash();
      // The other half of "crash after complete": complete and checkpoint run concurrently.
      if (faults.crashAt === 'after-complete') return crash();
      const result = await inner.advance(group, updates, meta);
      if (faults.fire('after-checkpoint')) return crash();
      return result;
    },
  };
}

interface Row {
  scenario: string;
  invocations: number;
  crashed: number;
  failed: number;
  keys: number;
  minEffects: number;
  maxEffects: number;
  lost: number;
}
const table: Row[] = [];

describe('fault injection: one effect per key, nothing lost', () => {
  const { ddb, store, runner } = useCheckpointStore();
  const ledger = new EffectsLedger(ddb, uniqueName('effects'));
  beforeAll(() => ledger.create());
  afterAll(() => {
    const lines = table.map((r) =>
      [r.scenario.padEnd(46), r.invocations, r.crashed, r.failed, r.keys, r.minEffects, r.maxEffects, r.lost]
        .map(String)
        .join('\t'),
    );
    process.stdout.write(
      `\nfault suite\n${['scenario'.padEnd(46), 'invocations', 'crashed', 'failed', 'keys', 'min', 'max', 'lost'].join('\t')}\n${lines.join('\n')}\n`,
    );
  });

  /**
   * 3 partitions, 50 unique keys, and (unless `producerDuplicates` is false) 10 producer duplicates
   * (17%) at later offsets of other partitions.
   */
  function workload(sim: LambdaSimulator, producerDuplicates = true): string[] {
    const unique = Array.from({ length: 50 }, (_, i) => `k${i}`);
    const dupes = Array.from({ length: 10 }, (_, i) => `k${i * 4}`);
    for (let p = 0; p < 3; p++)
      sim.produce(
        p,
        unique.filter((_, i) => i % 3 === p),
      );
    if (!producerDuplicates) return unique;
    sim.produce(0, dupes.slice(0, 5));
    sim.produce(2, dupes.slice(5));
    return unique;
  }

  function consumer(group: string, faults: Faults, extra: Partial<MskGuardOptions> = {}) {
    const options: MskGuardOptions = {
      consumerGroup: group,
      cache: faultyRunner(runner, faults),
      cacheShards: TEST_CACHE_SHARDS,
      checkpoints: faultyStore(store, faults),
      leaseMarginMs: 0,
      ...extra,
    };
    return middy<KafkaEvent, unknown, Error, Context>({ timeoutEarlyInMillis: 0 })
      .use(mskGuard(options))
      .handler(async (event, context) => {
        const batch = parseMskEvent(event);
        let done = 0;
        const result = await processRecordsInOrder(batch, async (record) => {
          const key = record.lastHeader('idempotency-key')?.toString() ?? '';
          const failures = faults.failKeys.get(key) ?? 0;
          if (failures > 0) {
            faults.failKeys.set(key, failures - 1);
            throw new Error(`injected: ${key} fails`);
          }
          stageEffects(context, [ledger.effect(`${group}:${key}`, record.coordinate)]);
          if (++done === Math.ceil(batch.records.length / 2) && faults.fire('mid-handler')) await crash();
        });
        return result.response;
      }) as unknown as (event: unknown, context: Context) => Promise<unknown>;
  }

  /** Records the scenario's row and asserts one effect per unique key, none lost. */
  function tally(
    scenario: string,
    sim: LambdaSimulator,
    unique: readonly string[],
    effectsOf: (key: string) => number,
  ) {
    const effects = unique.map(effectsOf);
    const row: Row = {
      scenario,
      invocations: sim.outcomes.length,
      crashed: sim.outcomes.filter((o) => o === 'timed-out').length,
      failed: sim.outcomes.filter((o) => o === 'threw' || o === 'partial').length,
      keys: unique.length,
      minEffects: Math.min(...effects),
      maxEffects: Math.max(...effects),
      lost: effects.filter((n) => n === 0).length,
    };
    table.push(row);
    expect(row).toMatchObject({ minEffects: 1, maxEffects: 1, lost: 0 });
    return row;
  }

  /** {@link tally} with the effects the ledger in DynamoDB holds for the group. */
  async function verify(scenario: string, group: string, sim: LambdaSimulator, unique: readonly string[]) {
    const counts = await ledger.counts();
    return tally(scenario, sim, unique, (k) => counts.get(`${group}:${k}`) ?? 0);
  }

  const crashes: [string, CrashPoint][] = [
    ['crash after claim', 'after-claim'],
    ['crash mid-handler', 'mid-handler'],
    ['crash after the handler, before the checkpoint', 'before-checkpoint'],
    ['crash after the checkpoint, before complete', 'after-checkpoint'],
  ];
  it.each(crashes)('%s', async (scenario, point) => {
    const group = uniqueName('fault');
    const faults = new Faults();
    const sim = new LambdaSimulator('orders', { batchSize: 8 });
    const unique = workload(sim);
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
    const group = uniqueName('fault');
    const faults = new Faults();
    const sim = new LambdaSimulator('orders', { batchSize: 8 });
    const unique = workload(sim);
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
    const group = uniqueName('fault');
    const faults = new Faults();
    const sim = new LambdaSimulator('orders', { batchSize: 8 });
    const unique = workload(sim);
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
    const group = uniqueName('fault');
    const faults = new Faults();
    faults.failKeys = new Map([
      ['k7', 2],
      ['k20', 1],
      ['k33', 3],
    ]);
    const sim = new LambdaSimulator('orders', { batchSize: 8 });
    const unique = workload(sim);
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

  it('Redis flushed mid-run', async () => {
    // Redeliveries after the loss are the watermark's (DynamoDB): each record still once. A
    // producer duplicate at a new offset whose original completed before the loss is beyond any
    // tier once Redis forgot it (README, "what Redis loss forgets"): this workload has none.
    const group = uniqueName('fault');
    const faults = new Faults();
    const sim = new LambdaSimulator('orders', { batchSize: 8 });
    const unique = workload(sim, false);
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
    const group = uniqueName('fault');
    const faults = new Faults();
    const sim = new LambdaSimulator('orders', { batchSize: 8 });
    const unique = workload(sim);
    await sim.drain(consumer(group, faults), (i) => {
      faults.cacheDown = i >= 2 && i < 4;
    });
    const row = await verify("Redis unreachable, 'fail'", group, sim, unique);
    expect(row.failed).toBeGreaterThanOrEqual(2);
  });

  it("Redis unreachable, onCacheUnavailable 'degrade' (probabilistic: local-filter hits quarantined)", async () => {
    const group = uniqueName('fault');
    const faults = new Faults();
    const quarantined: string[] = [];
    const sim = new LambdaSimulator('orders', { batchSize: 8 });
    const unique = workload(sim);
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
    const group = uniqueName('fault');
    const faults = new Faults();
    const sim = new LambdaSimulator('orders', { batchSize: 8 });
    const unique = workload(sim);
    await sim.drain(consumer(group, faults), (i) => {
      faults.tableDown = i === 2;
    });
    const row = await verify('DynamoDB unreachable', group, sim, unique);
    expect(row.failed).toBeGreaterThanOrEqual(1);
  });

  it('offsets lost: reset to earliest mid-run (recover from the watermark)', async () => {
    const group = uniqueName('fault');
    const faults = new Faults();
    const sim = new LambdaSimulator('orders', { batchSize: 8 });
    const unique = workload(sim);
    await sim.drain(consumer(group, faults), (i) => {
      if (i === 3) sim.setCommitted(() => 0);
    });
    await verify('offsets reset to earliest mid-run', group, sim, unique);
  });

  it('offsets lost: reset to latest, then restored from the checkpoints', async () => {
    const group = uniqueName('fault');
    const faults = new Faults();
    const sim = new LambdaSimulator('orders', { batchSize: 8 });
    const unique = workload(sim);
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
