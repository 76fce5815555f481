// G3 and G1 when a write's response is lost: DynamoDB committed the first attempt, the client saw a
// timeout (no HTTP status) and the store tried again. The retry must be recognised as the same
// write, not reported as another writer's (alreadyAhead / CheckpointConflictError), and an epoch
// bump must not be applied twice. On DynamoDB Local.
import { GetItemCommand, type GetItemCommandOutput, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import type { DynamoDBSender } from '#shared/checkpoints/dynamodb.ts';
import { DynamoCheckpointStore } from '#shared/checkpoints/dynamodb-store.ts';
import { InvalidCheckpointError } from '#shared/checkpoints/errors.ts';
import { uniqueName } from '#test/support/stack.ts';
import { meta, useCheckpointTable } from './dynamodb-fixture.ts';

/** Sends every command for real, but loses the response of the first one of class `name`. */
class LostResponseClient implements DynamoDBSender {
  public sent = 0;
  #lost = false;
  public constructor(
    private readonly inner: DynamoDBSender,
    private readonly name: string,
  ) {}
  public async send(command: object): Promise<unknown> {
    if (command.constructor.name === this.name) this.sent++;
    const out = await this.inner.send(command);
    if (command.constructor.name === this.name && !this.#lost) {
      this.#lost = true;
      // What the SDK throws when its request timeout fires: a name, no HTTP status.
      throw Object.assign(new Error('socket timed out'), { name: 'TimeoutError', $metadata: {} });
    }
    return out;
  }
}

const FAST = { baseDelayMs: 1, maxDelayMs: 2 };

describe('DynamoCheckpointStore, a retry after a committed write whose response was lost', () => {
  const { client, table } = useCheckpointTable();

  it('reports the partition advanced, not alreadyAhead', async () => {
    // Prepare
    const lossy = new LostResponseClient(client, 'TransactWriteItemsCommand');
    const store = new DynamoCheckpointStore(lossy, table, { retry: FAST });
    const group = uniqueName('g');
    const update = { topic: 'orders', partition: 0, nextOffset: 42 };

    // Act
    const result = await store.advance(group, [update], meta());

    // Assess
    expect(lossy.sent).toBe(2);
    expect(result).toEqual({ advanced: [update], alreadyAhead: [] });
    const snapshot = await new DynamoCheckpointStore(client, table).load(group, [update]);
    expect(snapshot.checkpoints.get('orders-0')?.nextOffset).toBe(42);
  });

  it('does not throw CheckpointConflictError for its own committed staged effects', async () => {
    // Prepare
    const lossy = new LostResponseClient(client, 'TransactWriteItemsCommand');
    const store = new DynamoCheckpointStore(lossy, table, { retry: FAST });
    const group = uniqueName('g');
    const effectKey = { pk: { S: uniqueName('effect') }, sk: { S: 'EFFECT' } };
    const effects = [{ Put: { TableName: table, Item: { ...effectKey, amount: { N: '7' } } } }];
    const update = { topic: 'orders', partition: 3, nextOffset: 10 };

    // Act
    const result = await store.advance(group, [update], { ...meta(), effects, owner: uniqueName('o') });

    // Assess
    expect(result.advanced).toEqual([update]);
    const effect = (await client.send(
      new GetItemCommand({ TableName: table, Key: effectKey, ConsistentRead: true }),
    )) as GetItemCommandOutput;
    expect(effect.Item?.amount?.N).toBe('7');
  });

  it('bumps the epoch once', async () => {
    // Prepare
    const lossy = new LostResponseClient(client, 'UpdateItemCommand');
    const store = new DynamoCheckpointStore(lossy, table, { retry: FAST });
    const group = uniqueName('g');

    // Act
    const epoch = await store.bumpEpoch(group, { requestId: 'restore-1' });
    const snapshot = await store.load(group, []);

    // Assess
    expect(lossy.sent).toBe(2);
    expect(epoch).toBe(1);
    expect(snapshot.epoch).toBe(1);
  });

  it('refuses a stored offset above 2^53 instead of rounding it (up: a record withheld unprocessed)', async () => {
    // Prepare: an item another tool wrote (the store itself refuses such offsets on write).
    const store = new DynamoCheckpointStore(client, table);
    const group = uniqueName('g');
    const ref = { topic: 'orders', partition: 0 };
    await store.advance(group, [{ ...ref, nextOffset: 1 }], meta());
    const item = {
      pk: { S: `${group}#orders#0` },
      sk: { S: 'CURRENT' },
      group: { S: group },
      topic: { S: 'orders' },
    };
    const fields = { partition: { N: '0' }, epoch: { N: '0' }, updatedAt: { S: 'x' }, requestId: { S: 'r' } };
    const nextOffset = { N: '9007199254740995' }; // Number() reads it as ...996
    await client.send(new PutItemCommand({ TableName: table, Item: { ...item, ...fields, nextOffset } }));

    // Act
    const error = await store.load(group, [ref]).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(InvalidCheckpointError);
    expect((error as Error).message).toMatch(/nextOffset = "9007199254740995".*below 2\^53/);
  });
});
