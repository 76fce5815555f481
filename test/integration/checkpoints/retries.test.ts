// G3 and G6 under DynamoDB failures: throttling is retried within a bound, then surfaces as a typed,
// retriable error (the invocation fails and Lambda retries; nothing is half-written); a cancelled
// transaction's failed conditions become alreadyAhead. Fake clients: no stack needed.
import {
  BatchGetItemCommand,
  type BatchGetItemCommandInput,
  ProvisionedThroughputExceededException,
  ThrottlingException,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import type { DynamoDBSender } from '#shared/checkpoints/dynamodb.ts';
import { DynamoCheckpointStore } from '#shared/checkpoints/dynamodb-store.ts';
import { CheckpointReadError, CheckpointWriteError } from '#shared/checkpoints/errors.ts';

const FAST = { baseDelayMs: 1, maxDelayMs: 2 };
const meta = { requestId: 'req-1', epoch: 0 };
const update = (partition: number, nextOffset = 10) => ({ topic: 'orders', partition, nextOffset });
const throttling = () =>
  new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });

/** A client answering each call with the next scripted answer (an error is thrown). */
class ScriptedClient implements DynamoDBSender {
  public readonly commands: object[] = [];
  public constructor(private readonly answer: (call: number, command: object) => unknown) {}
  public async send(command: object): Promise<unknown> {
    this.commands.push(command);
    const result = this.answer(this.commands.length, command);
    if (result instanceof Error) throw result;
    return result;
  }
}

describe('DynamoCheckpointStore retries', () => {
  it('retries a throttled transaction and succeeds on the third try', async () => {
    // Prepare
    const client = new ScriptedClient((call) => (call <= 2 ? throttling() : {}));
    const store = new DynamoCheckpointStore(client, 'checkpoints', { retry: FAST });

    // Act
    const result = await store.advance('g', [update(0)], meta);

    // Assess
    expect(client.commands).toHaveLength(3);
    expect(client.commands.every((c) => c instanceof TransactWriteItemsCommand)).toBe(true);
    expect(result.advanced).toEqual([update(0)]);
  });

  it('throws a retriable CheckpointWriteError after maxAttempts tries of throttling', async () => {
    // Prepare
    const client = new ScriptedClient(
      () => new ProvisionedThroughputExceededException({ message: 'exceeded', $metadata: {} }),
    );
    const store = new DynamoCheckpointStore(client, 'checkpoints', { retry: { ...FAST, maxAttempts: 4 } });

    // Act
    const error = await store.advance('g', [update(0)], meta).catch((e: unknown) => e);

    // Assess
    expect(client.commands).toHaveLength(4);
    expect(error).toBeInstanceOf(CheckpointWriteError);
    expect(error).toMatchObject({ retriable: true, name: 'CheckpointWriteError' });
    expect((error as Error).message).toMatch(/checkpoints.*after 4 tries.*Lambda retries the batch/);
  });

  it('does not retry a refused request, and says so', async () => {
    // Prepare
    const refused = Object.assign(new Error('One or more parameter values were invalid'), {
      name: 'ValidationException',
    });
    const client = new ScriptedClient(() => refused);
    const store = new DynamoCheckpointStore(client, 'checkpoints', { retry: FAST });

    // Act
    const error = await store.advance('g', [update(0)], meta).catch((e: unknown) => e);

    // Assess
    expect(client.commands).toHaveLength(1);
    expect(error).toMatchObject({ name: 'CheckpointWriteError', retriable: false, cause: refused });
  });

  it('reports failed conditions as alreadyAhead and writes the rest in a new transaction', async () => {
    // Prepare
    const cancelled = new TransactionCanceledException({
      message: 'Transaction cancelled',
      $metadata: {},
      CancellationReasons: [
        { Code: 'None' },
        { Code: 'None' },
        { Code: 'ConditionalCheckFailed' },
        { Code: 'None' },
      ],
    });
    const client = new ScriptedClient((call) => (call === 1 ? cancelled : {}));
    const store = new DynamoCheckpointStore(client, 'checkpoints', { retry: FAST });

    // Act
    const result = await store.advance('g', [update(0), update(1)], meta);

    // Assess
    expect(result).toEqual({ advanced: [update(0)], alreadyAhead: [update(1)] });
    const retry = (client.commands[1] as TransactWriteItemsCommand).input as TransactWriteItemsCommandInput;
    expect(retry.TransactItems?.map((i) => i.Put?.Item?.pk?.S ?? 'GROUP')).toEqual([
      'g#orders#0',
      'g#orders#0',
      'GROUP',
    ]);
  });

  it('retries a transaction cancelled by a conflict with backoff', async () => {
    // Prepare
    const conflict = new TransactionCanceledException({
      message: 'Transaction cancelled',
      $metadata: {},
      CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }, { Code: 'None' }],
    });
    const client = new ScriptedClient((call) => (call === 1 ? conflict : {}));
    const store = new DynamoCheckpointStore(client, 'checkpoints', { retry: FAST });

    // Act
    const result = await store.advance('g', [update(0)], meta);

    // Assess
    expect(client.commands).toHaveLength(2);
    expect(result.advanced).toEqual([update(0)]);
  });
});

describe('DynamoCheckpointStore.load retries', () => {
  const groupItem = { pk: { S: 'g' }, sk: { S: 'GROUP' }, epoch: { N: '3' } };

  it('retries UnprocessedKeys until every key is read', async () => {
    // Prepare
    const client = new ScriptedClient((call, command) => {
      const keys =
        ((command as BatchGetItemCommand).input as BatchGetItemCommandInput).RequestItems?.t?.Keys ?? [];
      return call === 1
        ? { Responses: { t: [groupItem] }, UnprocessedKeys: { t: { Keys: keys.slice(1) } } }
        : {
            Responses: {
              t: [
                {
                  pk: { S: 'g#orders#0' },
                  sk: { S: 'CURRENT' },
                  group: { S: 'g' },
                  topic: { S: 'orders' },
                  partition: { N: '0' },
                  nextOffset: { N: '5' },
                  epoch: { N: '3' },
                  updatedAt: { S: '2026-01-01T00:00:00.000Z' },
                  requestId: { S: 'r' },
                },
              ],
            },
          };
    });
    const store = new DynamoCheckpointStore(client, 't', { retry: FAST });

    // Act
    const snapshot = await store.load('g', [{ topic: 'orders', partition: 0 }]);

    // Assess
    expect(client.commands).toHaveLength(2);
    expect(client.commands.every((c) => c instanceof BatchGetItemCommand)).toBe(true);
    expect(snapshot.epoch).toBe(3);
    expect(snapshot.checkpoints.get('orders-0')?.nextOffset).toBe(5);
  });

  it('throws a retriable CheckpointReadError when keys stay unprocessed', async () => {
    // Prepare
    const client = new ScriptedClient((_, command) => ({
      Responses: { t: [] },
      UnprocessedKeys: {
        t: {
          Keys: ((command as BatchGetItemCommand).input as BatchGetItemCommandInput).RequestItems?.t?.Keys,
        },
      },
    }));
    const store = new DynamoCheckpointStore(client, 't', { retry: { ...FAST, maxAttempts: 3 } });

    // Act
    const error = await store.load('g', [{ topic: 'orders', partition: 0 }]).catch((e: unknown) => e);

    // Assess
    expect(client.commands).toHaveLength(3);
    expect(error).toBeInstanceOf(CheckpointReadError);
    expect(error).toMatchObject({ retriable: true });
  });
});
