// Decision 0018 at the store: a checkpoint carries its skipped ranges, and an update that only
// shrinks them (a rewound batch processed some) never overwrites a change made since it read them,
// nor moves the offset. Against DynamoDB Local.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '#local/services.ts';
import { ensureTables } from '#local/tables.ts';
import { DynamoCheckpointStore } from '#shared/checkpoints/dynamodb-store.ts';
import { InvalidCheckpointError } from '#shared/checkpoints/errors.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: stackEnv().DYNAMODB_ENDPOINT });
const table = uniqueName('checkpoints');
const meta = { requestId: 'req-1', epoch: 0 };
const ref = { topic: 'orders', partition: 0 };

beforeAll(async () => {
  await ensureTables(client, { checkpoints: table, quarantine: uniqueName('q'), audit: uniqueName('a') });
});
afterAll(() => client.destroy());

describe('skipped ranges on a checkpoint', () => {
  const store = new DynamoCheckpointStore(client, table);
  /** A checkpoint at 10 with offsets 2–4 and 7 skipped. */
  async function skippedGroup(): Promise<string> {
    const group = uniqueName('g');
    const skipped = [
      { first: 2, last: 4 },
      { first: 7, last: 7 },
    ];
    await store.advance(group, [{ ...ref, nextOffset: 10, skipped }], meta);
    return group;
  }
  const current = async (group: string) => (await store.load(group, [ref])).checkpoints.get('orders-0');

  it('loads them as written', async () => {
    // Act
    const group = await skippedGroup();

    // Assess
    expect((await current(group))?.skipped).toEqual([
      { first: 2, last: 4 },
      { first: 7, last: 7 },
    ]);
    expect((await store.listCurrent(group))[0]?.skipped).toHaveLength(2);
  });

  it('shrinks them at the same offset when nothing changed since they were read', async () => {
    // Prepare
    const group = await skippedGroup();
    const before = (await current(group))?.skipped ?? [];

    // Act
    const result = await store.advance(
      group,
      [{ ...ref, nextOffset: 10, skipped: [{ first: 7, last: 7 }], skippedBefore: before }],
      meta,
    );

    // Assess
    expect(result.advanced).toHaveLength(1);
    expect(await current(group)).toMatchObject({ nextOffset: 10, skipped: [{ first: 7, last: 7 }] });
  });

  it('refuses a shrink read before another writer changed them (stale writer)', async () => {
    // Prepare: two writers read the same ranges; the first processes offset 7.
    const group = await skippedGroup();
    const before = (await current(group))?.skipped ?? [];
    await store.advance(
      group,
      [{ ...ref, nextOffset: 10, skipped: [{ first: 2, last: 4 }], skippedBefore: before }],
      meta,
    );

    // Act: the second processed 2–4 and would bring 7 back.
    const stale = await store.advance(
      group,
      [{ ...ref, nextOffset: 10, skipped: [{ first: 7, last: 7 }], skippedBefore: before }],
      meta,
    );

    // Assess
    expect(stale.alreadyAhead).toHaveLength(1);
    expect((await current(group))?.skipped).toEqual([{ first: 2, last: 4 }]);
  });

  it('refuses a shrink once the checkpoint moved on', async () => {
    // Prepare
    const group = await skippedGroup();
    const before = (await current(group))?.skipped ?? [];
    await store.advance(group, [{ ...ref, nextOffset: 12, skipped: before }], meta);

    // Act
    const stale = await store.advance(group, [{ ...ref, nextOffset: 10, skippedBefore: before }], meta);

    // Assess
    expect(stale.alreadyAhead).toHaveLength(1);
    expect(await current(group)).toMatchObject({ nextOffset: 12, skipped: before });
  });

  it('rejects ranges that are unsorted, overlapping or not below nextOffset', async () => {
    const bad = [
      [
        { first: 5, last: 6 },
        { first: 2, last: 3 },
      ],
      [
        { first: 2, last: 5 },
        { first: 5, last: 6 },
      ],
      [{ first: 4, last: 3 }],
      [{ first: 8, last: 10 }],
    ];
    for (const skipped of bad) {
      await expect(
        store.advance(uniqueName('g'), [{ ...ref, nextOffset: 10, skipped }], meta),
      ).rejects.toThrow(InvalidCheckpointError);
    }
  });
});
