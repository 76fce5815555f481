// BatchGetItem answers at most 16 MB: asked for 100 items of ~400 KB it returns some and leaves the
// rest as UnprocessedKeys. That is progress, not throttling: getMany asks again without spending a
// retry and without backing off. Rounds that return none of their keys (a throttled table) still
// count, so a real throttle ends in a retriable error. Against DynamoDB Local.
import { randomBytes } from 'node:crypto';
import { type BatchGetItemCommandOutput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '#local/services.ts';
import { ensureTables } from '#local/tables.ts';
import type { DynamoDBSender } from '#shared/checkpoints/dynamodb.ts';
import { QuarantineStore } from '#shared/quarantine/store.ts';
import type { QuarantineInput } from '#shared/quarantine/types.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: stackEnv().DYNAMODB_ENDPOINT });
const table = uniqueName('quarantine-large');
const FAST = { baseDelayMs: 1, maxDelayMs: 2 };

beforeAll(async () => {
  await ensureTables(client, { checkpoints: uniqueName('c'), quarantine: table, audit: uniqueName('a') });
});
afterAll(() => client.destroy());

const record = (group: string, offset: number, value: Buffer): QuarantineInput => ({
  group,
  topic: 'orders',
  partition: 0,
  offset,
  key: null,
  value: value.toString('base64'),
  headers: [],
  idempotencyKey: `id-${offset}`,
  reason: 'probable-duplicate',
});

/** Forwards to DynamoDB Local; records how many keys each BatchGetItem asked for and got. */
class BatchGetLog implements DynamoDBSender {
  public readonly rounds: { asked: number; got: number }[] = [];
  public async send(command: object): Promise<unknown> {
    const out = await client.send(command as never);
    if (command.constructor.name === 'BatchGetItemCommand') {
      const input = (command as { input: { RequestItems: Record<string, { Keys: unknown[] }> } }).input;
      const got = (out as BatchGetItemCommandOutput).Responses?.[table]?.length ?? 0;
      this.rounds.push({ asked: input.RequestItems[table]?.Keys.length ?? 0, got });
    }
    return out;
  }
}

describe('QuarantineStore.getMany of items over 16 MB in all', () => {
  it('reads all 100 items of ~390 KB with a single try allowed', async () => {
    // Prepare
    const group = uniqueName('g');
    const value = randomBytes(390 * 1024);
    const inputs = Array.from({ length: 100 }, (_, i) => record(group, i, value));
    const { ids, truncated } = await new QuarantineStore(client, table).put(inputs);
    const log = new BatchGetLog();
    const store = new QuarantineStore(log, table, { retry: { maxAttempts: 1, ...FAST } });

    // Act
    const read = await store.getMany(ids);

    // Assess
    expect(truncated).toEqual([]);
    expect(read.map((r) => r.offset)).toEqual(inputs.map((r) => r.offset));
    expect(read.every((r) => r.value === inputs[0]?.value)).toBe(true);
    expect(log.rounds.length).toBeGreaterThan(1);
    expect(log.rounds.every((r) => r.got > 0)).toBe(true);
  }, 120_000);
});

describe('QuarantineStore.getMany on a throttled table', () => {
  it('counts rounds that return nothing, then fails retriable', async () => {
    // Prepare
    const calls: number[] = [];
    const throttled: DynamoDBSender = {
      send: async (command) => {
        const items = (command as { input: { RequestItems: Record<string, { Keys: unknown[] }> } }).input
          .RequestItems;
        calls.push(items.q?.Keys.length ?? 0);
        return { Responses: { q: [] }, UnprocessedKeys: items };
      },
    };
    const store = new QuarantineStore(throttled, 'q', { retry: { maxAttempts: 3, ...FAST } });

    // Act
    const error = await store.getMany(['g/orders-0@1', 'g/orders-0@2']).catch((e: unknown) => e);

    // Assess
    expect(calls).toEqual([2, 2, 2]);
    expect(error).toMatchObject({ name: 'QuarantineReadError', retriable: true });
    expect((error as Error).message).toMatch(
      /2 keys .* unprocessed after 3 tries that returned none of them/,
    );
  });

  it('does not count a round that returned part of its keys', async () => {
    // Prepare: each round answers the first key asked, and leaves the others unprocessed.
    const calls: number[] = [];
    const partial: DynamoDBSender = {
      send: async (command) => {
        type Key = { sk: { S: string } };
        const keys =
          (command as { input: { RequestItems: Record<string, { Keys: Key[] }> } }).input.RequestItems.q
            ?.Keys ?? [];
        calls.push(keys.length);
        const [first, ...rest] = keys;
        const item = {
          ...first,
          gsi1pk: { S: 'g' },
          gsi1sk: { S: `2026-01-01T00:00:00Z#orders#0#${first?.sk.S}` },
        };
        return {
          Responses: { q: [item] },
          UnprocessedKeys: rest.length ? { q: { Keys: rest } } : {},
        };
      },
    };
    const store = new QuarantineStore(partial, 'q', { retry: { maxAttempts: 2, ...FAST } });
    const ids = [1, 2, 3, 4, 5].map((offset) => `g/orders-0@${offset}`);

    // Act
    const read = await store.getMany(ids);

    // Assess
    expect(calls).toEqual([5, 4, 3, 2, 1]);
    expect(read.map((r) => r.id)).toEqual(ids);
  });
});
