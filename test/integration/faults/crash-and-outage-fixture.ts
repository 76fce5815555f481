// What both halves of the fault suite share (crash-and-outage.consumer-faults.test.ts and
// crash-and-outage.service-faults.test.ts): the armed faults, a cache runner and a checkpoint store
// that crash or fail on them, the workload, the guarded consumer writing its effects to a ledger in
// DynamoDB, and the check that each unique business key has exactly one effect and none is lost,
// which adds the scenario's row to the file's table.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, expect } from 'vitest';
import type { LuaScript, ScriptArg, ScriptRunner } from '#shared/cache/script-runner.ts';
import type { CheckpointStore } from '#shared/checkpoints/types.ts';
import { CacheUnavailableError } from '#shared/errors.ts';
import { stageEffects } from '#shared/middleware/effects.ts';
import { mskGuard } from '#shared/middleware/mskGuard.ts';
import type { MskGuardOptions } from '#shared/middleware/options.ts';
import { type KafkaEvent, parseMskEvent, processRecordsInOrder } from '#shared/msk/index.ts';
import { storeWith, useCheckpointStore } from '#test/support/checkpoint-fixture.ts';
import { EffectsLedger } from '#test/support/effects-ledger.ts';
import { crash, LambdaSimulator } from '#test/support/lambda-sim.ts';
import { TEST_CACHE_SHARDS } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

export type CrashPoint =
  | 'after-claim'
  | 'mid-handler'
  | 'before-checkpoint'
  | 'after-checkpoint'
  | 'after-complete';

/** One armed fault, fired once by the wrappers or the handler. */
export class Faults {
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
export function faultyRunner(inner: ScriptRunner, faults: Faults): ScriptRunner {
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
export function faultyStore(inner: CheckpointStore, faults: Faults): CheckpointStore {
  const down = () => {
    if (faults.tableDown) throw new Error('injected: DynamoDB unreachable');
  };
  return storeWith(inner, {
    async load(group, partitions) {
      down();
      return inner.load(group, partitions);
    },
    async advance(group, updates, meta) {
      down();
      if (faults.fire('before-checkpoint')) return crash();
      // The other half of "crash after complete": complete and checkpoint run concurrently.
      if (faults.crashAt === 'after-complete') return crash();
      const result = await inner.advance(group, updates, meta);
      if (faults.fire('after-checkpoint')) return crash();
      return result;
    },
  });
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

/**
 * For the `describe` of a fault-suite test file: the checkpoint store and cache runner on the real
 * services, the effects ledger (created before the file's tests; after them the file's table of
 * scenarios is printed under `title`), and the helpers that build and check a scenario.
 */
export function useCrashAndOutageFixture(title: string) {
  const table: Row[] = [];
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
      `\n${title}\n${['scenario'.padEnd(46), 'invocations', 'crashed', 'failed', 'keys', 'min', 'max', 'lost'].join('\t')}\n${lines.join('\n')}\n`,
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

  /**
   * One scenario's own group, fault switches and simulator (topic orders, 8 records a batch), with
   * the workload produced into it.
   */
  function startScenario(producerDuplicates = true): {
    group: string;
    faults: Faults;
    sim: LambdaSimulator;
    unique: string[];
  } {
    const sim = new LambdaSimulator('orders', { batchSize: 8 });
    return {
      group: uniqueName('fault'),
      faults: new Faults(),
      sim,
      unique: workload(sim, producerDuplicates),
    };
  }

  return { store, runner, workload, startScenario, consumer, tally, verify };
}
