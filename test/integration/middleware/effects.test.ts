// Exactly-once effects in DynamoDB: what a handler stages is written in the checkpoints'
// transaction. Crashes before the commit write nothing, redeliveries are withheld by the watermark,
// and a batch another invocation already checkpointed writes nothing (G1, G3), on DynamoDB Local.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointConflictError, StagedEffectsTooLargeError } from '#shared/checkpoints/errors.ts';
import { stageEffects } from '#shared/middleware/effects.ts';
import { GuardEngine } from '#shared/middleware/engine.ts';
import { mskGuard } from '#shared/middleware/mskGuard.ts';
import {
  encodeKafkaEvent,
  type KafkaEvent,
  parseMskEvent,
  processRecordsInOrder,
} from '#shared/msk/index.ts';
import { useCheckpointStore } from '#test/support/checkpoint-fixture.ts';
import { EffectsLedger } from '#test/support/effects-ledger.ts';
import { fakeContext, orders } from '#test/support/guarded.ts';
import { TEST_CACHE_SHARDS } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

describe('stageEffects: effects commit with the checkpoints', () => {
  const { ddb, store, runner } = useCheckpointStore();
  const ledger = new EffectsLedger(ddb, uniqueName('effects'));
  beforeAll(() => ledger.create());

  const options = (group: string) => ({
    consumerGroup: group,
    cache: runner,
    cacheShards: TEST_CACHE_SHARDS,
    checkpoints: store,
    leaseMarginMs: 0,
  });
  const handler = (group: string) =>
    middy<KafkaEvent, unknown, Error, Context>()
      .use(mskGuard(options(group)))
      .handler(async (event, context) => {
        const result = await processRecordsInOrder(parseMskEvent(event), (record) => {
          const key = record.lastHeader('idempotency-key')?.toString() ?? '';
          stageEffects(context, [ledger.effect(`${group}:${key}`, record.coordinate)]);
        });
        return result.response;
      });
  const countsOf = async (group: string) =>
    Object.fromEntries(
      [...(await ledger.counts())]
        .filter(([k]) => k.startsWith(`${group}:`))
        .map(([k, n]) => [k.slice(group.length + 1), n]),
    );

  it('writes each effect once, across a redelivery of the whole batch', async () => {
    const group = uniqueName('grp');
    const batch = [...orders('orders', 0, 0, ['a', 'b']), ...orders('orders', 1, 0, ['c'])];
    await handler(group)(encodeKafkaEvent(batch), fakeContext());
    await handler(group)(encodeKafkaEvent(batch), fakeContext());
    expect(await countsOf(group)).toEqual({ a: 1, b: 1, c: 1 });
  });

  it('writes nothing when the invocation dies after the handler, and once on the retry', async () => {
    // Prepare: the handler ran and staged, then the process died before settle (no commit, no release).
    const group = uniqueName('grp');
    const crashed = new GuardEngine(options(group));
    const context = fakeContext(1000);
    const prepared = await crashed.admit(encodeKafkaEvent(orders('orders', 0, 0, ['a'])), context);
    stageEffects(context, [ledger.effect(`${group}:a`, 'crashed')]);
    expect(prepared.effects).toHaveLength(1);
    const before = await countsOf(group);

    // Act: Lambda retries after the lease (1 s) expired.
    await new Promise((r) => setTimeout(r, 1100));
    await handler(group)(encodeKafkaEvent(orders('orders', 0, 0, ['a'])), fakeContext());

    // Assess
    expect(before).toEqual({});
    expect(await countsOf(group)).toEqual({ a: 1 });
  });

  it('refuses to apply effects of a batch another invocation already checkpointed', async () => {
    // Prepare: a slow invocation prepares and stages; meanwhile a rebalance let another one finish.
    const group = uniqueName('grp');
    const slow = new GuardEngine(options(group));
    const context = fakeContext();
    const prepared = await slow.admit(encodeKafkaEvent(orders('orders', 0, 0, ['a'])), context);
    stageEffects(context, [ledger.effect(`${group}:a`, 'slow')]);
    await store.advance(group, [{ topic: 'orders', partition: 0, nextOffset: 1 }], {
      requestId: 'other',
      epoch: 0,
    });

    // Act
    const settle = slow.settle(prepared, undefined);

    // Assess
    await expect(settle).rejects.toBeInstanceOf(CheckpointConflictError);
    expect(await countsOf(group)).toEqual({});
  });

  it('refuses more staged items than one transaction holds', async () => {
    const group = uniqueName('grp');
    const engine = new GuardEngine(options(group));
    const context = fakeContext();
    await engine.admit(encodeKafkaEvent(orders('orders', 0, 0, ['a'])), context);
    const items = Array.from({ length: 98 }, (_, i) => ledger.effect(`${group}:x${i}`, 'bulk'));
    expect(() => stageEffects(context, items)).toThrow(StagedEffectsTooLargeError);
  });

  it("writes each effect once when Middy's early timeout ends an invocation whose running record had staged (decision 0023)", async () => {
    // Prepare: 'b' stages its effect, then blocks past the timeout.
    const group = uniqueName('grp');
    let openGate = () => {};
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    let blocked = true;
    let stillRunning: Promise<unknown> = Promise.resolve();
    const guarded = middy<KafkaEvent, unknown, Error, Context>()
      .use(mskGuard(options(group)))
      .handler(async (event, context) => {
        const run = processRecordsInOrder(event, async (record) => {
          const key = record.lastHeader('idempotency-key')?.toString() ?? '';
          // One item per invocation that stages it: an effect committed twice counts twice.
          stageEffects(context, [
            ledger.effect(`${group}:${key}`, `${record.coordinate}#${context.awsRequestId}`),
          ]);
          if (key === 'b' && blocked) {
            blocked = false;
            await gate;
          }
        });
        stillRunning = run;
        return (await run).response;
      });
    const event = encodeKafkaEvent(orders('orders', 0, 0, ['a', 'b', 'c']));

    // Act: the timeout, Lambda's retry, then 'b' ends in the invocation that timed out.
    await expect(guarded(event, fakeContext(300))).rejects.toThrow(
      expect.objectContaining({ name: 'TimeoutError' }),
    );
    const leftRunning = stillRunning;
    await guarded(event, fakeContext());
    openGate();
    await leftRunning;

    // Assess: nothing of the invocation that timed out was committed; the retry wrote each once.
    expect(await countsOf(group)).toEqual({ a: 1, b: 1, c: 1 });
  });
});
