// G2 through the handler's answer: the records Lambda delivers again are never completed nor
// checkpointed past, whether the handler adds failures to the response processRecordsInOrder gave
// it or forgets to return that response; the redelivery is processed, not withheld.
import middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import { mskGuard } from '#shared/middleware/mskGuard.ts';
import {
  encodeKafkaEvent,
  type KafkaBatchResponse,
  type KafkaEvent,
  processRecordsInOrder,
} from '#shared/msk/index.ts';
import { useCheckpointStore } from '#test/support/checkpoint-fixture.ts';
import { fakeContext, orders } from '#test/support/guarded.ts';
import { TEST_CACHE_SHARDS } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

type Answer = (event: KafkaEvent, effects: string[]) => Promise<KafkaBatchResponse | undefined>;

describe('what the handler answers', () => {
  const { store, runner } = useCheckpointStore();
  const guarded = (answer: Answer) => {
    const group = uniqueName('grp');
    const effects: string[] = [];
    const handler = middy<KafkaEvent, unknown>()
      .use(
        mskGuard({ consumerGroup: group, cache: runner, cacheShards: TEST_CACHE_SHARDS, checkpoints: store }),
      )
      .handler((event: KafkaEvent) => answer(event, effects));
    const invoke = (records: ReturnType<typeof orders>) => handler(encodeKafkaEvent(records), fakeContext());
    const checkpoint = async () =>
      Object.fromEntries((await store.listCurrent(group, 'orders')).map((c) => [c.partition, c.nextOffset]));
    return { invoke, effects, checkpoint };
  };
  const value = (record: { value: Buffer | null }) =>
    JSON.parse(record.value?.toString() ?? '{}').orderId as string;

  it('retries a record the handler adds to the response processRecordsInOrder built', async () => {
    // Prepare: every record runs; the handler's own bulk write of 'b' fails afterwards, once.
    let bulkFails = true;
    const c = guarded(async (event, effects) => {
      const { response } = await processRecordsInOrder(event, (record) => {
        if (value(record) !== 'b' || !bulkFails) effects.push(value(record));
      });
      if (bulkFails)
        response.batchItemFailures.push({ itemIdentifier: { partition: 'orders-1', offset: 0 } });
      bulkFails = false;
      return response;
    });
    const batch = [...orders('orders', 0, 0, ['a']), ...orders('orders', 1, 0, ['b'])];

    // Act: Lambda delivers orders-1 again from the failure it was told of.
    const first = await c.invoke(batch);
    const checkpointed = await c.checkpoint();
    await c.invoke(orders('orders', 1, 0, ['b']));

    // Assess
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'orders-1', offset: 0 } }] });
    expect(checkpointed).toEqual({ 0: 1 });
    expect(c.effects.sort()).toEqual(['a', 'b']);
    expect(await c.checkpoint()).toEqual({ 0: 1, 1: 1 });
  });

  it('retries the reported failures when the handler forgets to return the response', async () => {
    // Prepare: 'b' fails once, so 'c' never runs; the handler returns nothing.
    let failures = 1;
    const c = guarded(async (event, effects) => {
      await processRecordsInOrder(event, (record) => {
        if (value(record) === 'b' && failures-- > 0) throw new Error('downstream unavailable');
        effects.push(value(record));
      });
      return undefined;
    });

    // Act
    const first = await c.invoke(orders('orders', 0, 0, ['a', 'b', 'c']));
    await c.invoke(orders('orders', 0, 1, ['b', 'c']));

    // Assess: Lambda was told to deliver again from 'b', and 'b' and 'c' were then processed.
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'orders-0', offset: 1 } }] });
    expect(c.effects).toEqual(['a', 'b', 'c']);
    expect(await c.checkpoint()).toEqual({ 0: 3 });
  });
});
