// Proves the local stack is made of the real things the guarantees are tested against (design §9):
// a Kafka broker that keeps consumer-group offsets, a DynamoDB that runs transactions with
// conditions, and a Redis that runs Lua behind the Upstash REST endpoint.
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { Redis as UpstashRedis } from '@upstash/redis';
import { Redis as IORedis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '#local/services.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const env = stackEnv();

describe('Kafka broker', () => {
  const kafka = new Kafka({ brokers: [env.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  afterAll(() => admin.disconnect());

  it('creates a 3-partition topic, consumes in a group, and keeps the committed offsets', async () => {
    // Prepare
    const topic = uniqueName('smoke');
    const groupId = uniqueName('smoke-group');
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [0, 1, 2, 0, 1, 2].map((partition, i) => ({ partition, key: `k${i}`, value: `v${i}` })),
    });
    await producer.disconnect();

    // Act
    const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            seen.push(message.value?.toString() ?? '');
            await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
            if (seen.length === 6) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });

    // Assess
    expect(seen.sort()).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5']);
    expect(offsets?.partitions.sort((a, b) => a.partition - b.partition)).toEqual([
      { partition: 0, offset: '2', metadata: null },
      { partition: 1, offset: '2', metadata: null },
      { partition: 2, offset: '2', metadata: null },
    ]);
  });
});

describe('DynamoDB Local', () => {
  const ddb = new DynamoDBClient({ ...LOCAL_AWS, endpoint: env.DYNAMODB_ENDPOINT });
  afterAll(() => ddb.destroy());

  it('cancels a TransactWriteItems whose condition fails, and writes nothing of it', async () => {
    // Prepare
    const TableName = uniqueName('smoke');
    await ddb.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    await ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'a' }, n: { N: '5' } } }));

    // Act
    const write = ddb.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName, Item: { pk: { S: 'b' }, n: { N: '1' } } } },
          {
            Put: {
              TableName,
              Item: { pk: { S: 'a' }, n: { N: '3' } },
              ConditionExpression: 'n < :n',
              ExpressionAttributeValues: { ':n': { N: '3' } },
            },
          },
        ],
      }),
    );

    // Assess
    const error = await write.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect((error as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual([
      'None',
      'ConditionalCheckFailed',
    ]);
    const untouched = ddb.send(
      new PutItemCommand({
        TableName,
        Item: { pk: { S: 'b' } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await expect(untouched).resolves.toBeDefined();
    await expect(
      ddb.send(
        new PutItemCommand({
          TableName,
          Item: { pk: { S: 'a' } },
          ConditionExpression: 'n = :n',
          ExpressionAttributeValues: { ':n': { N: '3' } },
        }),
      ),
    ).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });
});

describe('Upstash REST endpoint on the real Redis', () => {
  const direct = new IORedis(env.REDIS_URL, { lazyConnect: true });
  afterAll(() => direct.quit());

  it('runs a Lua script whose effect is visible in Redis itself', async () => {
    // Prepare
    const upstash = new UpstashRedis({
      url: env.UPSTASH_REDIS_REST_URL,
      token: env.UPSTASH_REDIS_REST_TOKEN,
    });
    const key = uniqueName('smoke:lua');

    // Act
    const result = await upstash.eval(
      "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]); return redis.call('PTTL', KEYS[1]) > 0 and 1 or 0",
      [key],
      ['from-lua', '60000'],
    );

    // Assess
    expect(result).toBe(1);
    expect(await direct.get(key)).toBe('from-lua');
  });
});
