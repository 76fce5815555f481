// The checkpoint transaction, built without DynamoDB (G3: forward only, one item per partition,
// history exactly for what took effect, the registry never missing a partition).
import { describe, expect, it } from 'vitest';
import { buildAdvanceTransaction } from '#shared/checkpoints/advance-transaction.ts';
import { mergeUpdates } from '#shared/checkpoints/schema.ts';
import type { CheckpointUpdate } from '#shared/checkpoints/types.ts';

const update = (partition: number, nextOffset: number): CheckpointUpdate => ({
  topic: 'orders',
  partition,
  nextOffset,
});

describe('mergeUpdates', () => {
  it.each<[string, CheckpointUpdate[], [number, number][]]>([
    [
      'one update per partition is kept as it is',
      [update(0, 5), update(1, 7)],
      [
        [0, 5],
        [1, 7],
      ],
    ],
    [
      'the highest offset of a partition wins, whatever the order',
      [update(0, 9), update(0, 5), update(0, 12)],
      [[0, 12]],
    ],
    ['nothing in, nothing out', [], []],
  ])('%s', (_name, updates, expected) => {
    expect(mergeUpdates(updates).map((u) => [u.partition, u.nextOffset])).toEqual(expected);
  });
});

describe('buildAdvanceTransaction', () => {
  const build = (updates: CheckpointUpdate[], registered: number[]) =>
    buildAdvanceTransaction({
      table: 'ckpt',
      group: 'orders-v1',
      updates,
      meta: { requestId: 'req-1', epoch: 2, updatedAt: '2026-12-04T12:00:00.000Z' },
      historyTtlSeconds: 3600,
      isRegistered: (ref) => registered.includes(ref.partition),
    });

  it.each<[string, CheckpointUpdate[], number[], string[]]>([
    [
      'a registered partition: a conditional CURRENT and a HISTORY item',
      [update(0, 5)],
      [0],
      ['current', 'history'],
    ],
    [
      'a new partition also joins the registry, in the same transaction',
      [update(0, 5)],
      [],
      ['current', 'history', 'registry'],
    ],
    [
      'two partitions, one new: one registry update for both',
      [update(0, 5), update(1, 3)],
      [0],
      ['current', 'history', 'current', 'history', 'registry'],
    ],
  ])('%s', (_name, updates, registered, kinds) => {
    const { items, slots } = build(updates, registered);
    expect(slots.map((s) => s.kind)).toEqual(kinds);
    expect(items).toHaveLength(kinds.length);
  });

  it('moves CURRENT only forward within an epoch, or to a newer epoch', () => {
    const { items } = build([update(0, 5)], [0]);
    const put = items[0]!.Put!;
    expect(put.ConditionExpression).toBe(
      'attribute_not_exists(#pk) OR #epoch < :epoch OR (#epoch = :epoch AND #next < :next)',
    );
    expect(put.ExpressionAttributeValues).toEqual({ ':epoch': { N: '2' }, ':next': { N: '5' } });
  });
});
