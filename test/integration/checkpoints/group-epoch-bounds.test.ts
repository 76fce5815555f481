// The GROUP item's epoch decides which checkpoints are the watermark (G3), so it is read with the
// same check as a CURRENT item's numbers: a value JavaScript cannot hold exactly (above 2^53,
// negative, fractional) is refused with a typed error, never rounded. Against DynamoDB Local.
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoCheckpointStore } from '#shared/checkpoints/dynamodb-store.ts';
import { InvalidCheckpointError } from '#shared/checkpoints/errors.ts';
import { uniqueName } from '#test/support/stack.ts';
import { meta, useCheckpointTable } from './dynamodb-fixture.ts';

const { client, table } = useCheckpointTable();

/** Writes the GROUP item as another writer might have: with `epoch` as given. */
async function writeGroupEpoch(group: string, epoch: string): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: table,
      Item: { pk: { S: group }, sk: { S: 'GROUP' }, epoch: { N: epoch } },
    }),
  );
}

describe('DynamoCheckpointStore.load of a GROUP epoch', () => {
  it.each(['9007199254740993', '-1', '1.5'])('refuses epoch %s, naming the item', async (epoch) => {
    // Prepare
    const group = uniqueName('g');
    await writeGroupEpoch(group, epoch);
    const store = new DynamoCheckpointStore(client, table);

    // Act
    const error = await store.load(group, [{ topic: 'orders', partition: 0 }]).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(InvalidCheckpointError);
    expect((error as Error).message).toContain(`${group}/GROUP has epoch = "${epoch}"`);
  });

  it('reads a whole epoch, and an absent one as 0', async () => {
    // Prepare
    const store = new DynamoCheckpointStore(client, table);
    const bumped = uniqueName('g');
    await writeGroupEpoch(bumped, '9007199254740991');
    const registryOnly = uniqueName('g');
    await store.advance(registryOnly, [{ topic: 'orders', partition: 0, nextOffset: 5 }], meta());

    // Act
    const high = await store.load(bumped, [{ topic: 'orders', partition: 0 }]);
    const none = await store.load(registryOnly, [{ topic: 'orders', partition: 0 }]);

    // Assess
    expect(high.epoch).toBe(Number.MAX_SAFE_INTEGER);
    expect(none.epoch).toBe(0);
    expect(none.checkpoints.get('orders-0')?.nextOffset).toBe(5);
  });
});

describe('DynamoCheckpointStore.bumpEpoch past 2^53', () => {
  it('refuses the bumped epoch instead of returning it rounded', async () => {
    // Prepare
    const group = uniqueName('g');
    await writeGroupEpoch(group, '9007199254740992');
    const store = new DynamoCheckpointStore(client, table);

    // Act
    const error = await store.bumpEpoch(group, { requestId: 'restore-1' }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(InvalidCheckpointError);
    expect((error as Error).message).toContain(`${group}/GROUP has epoch = "9007199254740993"`);
  });
});
