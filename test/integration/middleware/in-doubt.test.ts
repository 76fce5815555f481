import { describe, expect, it } from 'vitest';
import type { CheckpointStore } from '#shared/checkpoints/types.ts';
import { InvalidEventError } from '#shared/errors.ts';
import { encodeKafkaEvent } from '#shared/msk/index.ts';
import { storeWith, useCheckpointStore } from '#test/support/checkpoint-fixture.ts';
import { commitAndDieBeforeComplete, guardedConsumer, orders } from '#test/support/guarded.ts';
import { TEST_CACHE_SHARDS } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

describe('keys a dead invocation committed', () => {
  const { store, runner } = useCheckpointStore();
  const consumer = (group: string, checkpoints: CheckpointStore = store) =>
    guardedConsumer({ consumerGroup: group, cache: runner, cacheShards: TEST_CACHE_SHARDS, checkpoints });

  /** `group`'s invocation of `key` commits and dies before its complete. */
  const diesAfterCommitting = (group: string, key: string) =>
    commitAndDieBeforeComplete({ consumerGroup: group, cache: runner, checkpoints: store }, key);

  it('keeps a key a dead invocation committed done when the invocation that proved it fails (G1)', async () => {
    // Prepare: an invocation processes 'k', commits its checkpoint and dies before its complete
    // reaches Redis; its lease (300 ms) expires. A producer duplicate of 'k' then comes on another
    // partition: its claim finds 'k' in doubt and the dead owner's commit marker proves it done.
    const group = uniqueName('grp');
    await diesAfterCommitting(group, 'k');
    const c = consumer(group);
    const duplicate = orders('orders', 1, 0, ['k', 'n']);
    c.throwOnce(new Error('injected: the handler fails'));

    // Act: the handler throws (its leases are given back), then the retry.
    await expect(c.invoke(duplicate)).rejects.toThrow('injected: the handler fails');
    const retry = await c.invoke(duplicate);

    // Assess: giving the leases back kept 'k' done; had it been released, the retry would find it
    // new (its lease names the failed invocation, not the dead one) and process it a second time.
    expect(retry).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual(['n']);
  });

  it('keeps the keys of an invocation done when its checkpoint fails after its complete (G1)', async () => {
    // Prepare: as above, a dead owner's commit proves 'k' done, so the next invocation holds a
    // repaired key and gives its leases back by completing instead of releasing. This time its
    // handler succeeds and its complete lands, but its checkpoint write fails once.
    const group = uniqueName('grp');
    await diesAfterCommitting(group, 'k');
    let failures = 1;
    const flaky = storeWith(store, {
      advance: (g, updates, meta) =>
        failures-- > 0
          ? Promise.reject(new Error('injected: the checkpoint write fails'))
          : store.advance(g, updates, meta),
    });
    const c = consumer(group, flaky);
    const duplicate = orders('orders', 1, 0, ['k', 'n']);

    // Act: the invocation fails on its checkpoint (Lambda retries the batch), then the retry.
    await expect(c.invoke(duplicate)).rejects.toThrow('injected: the checkpoint write fails');
    const retry = await c.invoke(duplicate);

    // Assess: 'n' was processed once. Giving the leases back after the complete landed must not
    // undo it: the retry finds 'n' done, not new.
    expect(retry).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual(['n']);
  });

  it('keeps a key a dead invocation committed done when the in-doubt read fails (G1)', async () => {
    // Prepare: the claim takes 'k' over from the dead owner; then the read of the dead owner's
    // commit marker fails, before any doubt is settled, and the invocation gives its claim back.
    const group = uniqueName('grp');
    await diesAfterCommitting(group, 'k');
    let failures = 1;
    const c = consumer(
      group,
      storeWith(store, {
        committedOwners: (g, owners) =>
          failures-- > 0
            ? Promise.reject(new Error('injected: DynamoDB unreachable'))
            : store.committedOwners(g, owners),
      }),
    );
    const duplicate = orders('orders', 1, 0, ['k', 'n']);

    // Act: the invocation fails; then the retry.
    await expect(c.invoke(duplicate)).rejects.toThrow('injected: DynamoDB unreachable');
    const retry = await c.invoke(duplicate);

    // Assess: 'k' went back to its dead owner, so the retry found it in doubt again and proven
    // done. Released instead, it would name the failed invocation and come back new.
    expect(retry).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual(['n']);
  });

  it('keeps a key a dead invocation committed done when an event carrying its duplicate is malformed (G1, G6)', async () => {
    // Prepare: a batch holds a producer duplicate of 'k' and a record whose value is not base64;
    // its payload checks run while the claim is out, which takes 'k' over from the dead owner.
    const group = uniqueName('grp');
    await diesAfterCommitting(group, 'k');
    const c = consumer(group);
    const event = encodeKafkaEvent(orders('orders', 1, 0, ['k', 'n']));
    (event.records['orders-1']![1] as { value: string }).value = 'not base64!';

    // Act: the malformed event is refused; a later, well-formed delivery of the duplicate.
    await expect(c.invokeEvent(event)).rejects.toThrow(InvalidEventError);
    const later = await c.invoke(orders('orders', 1, 0, ['k']));

    // Assess: 'k' is still in doubt for the later delivery, and proven done.
    expect(later).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual([]);
  });
});
