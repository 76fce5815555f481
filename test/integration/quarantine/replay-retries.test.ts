// G6 for replay: an operator is told the truth about what was produced. A markReplayed retried after
// a timeout whose first attempt committed is the same mark, not a 'raced' copy; a produce request
// that fails names the records that may be on the topic, apart from the done and the unsent ones.
// Against DynamoDB Local; the producer is a fake (its failure is what is under test).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ProducerRecord, RecordMetadata } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '#local/services.ts';
import { ensureTables } from '#local/tables.ts';
import type { DynamoDBSender } from '#shared/checkpoints/dynamodb.ts';
import { ReplaySendError } from '#shared/quarantine/errors.ts';
import { replayRecords } from '#shared/quarantine/replay.ts';
import { QuarantineStore } from '#shared/quarantine/store.ts';
import { type QuarantineInput, QuarantineStatus } from '#shared/quarantine/types.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: stackEnv().DYNAMODB_ENDPOINT });
const table = uniqueName('quarantine');
const FAST = { baseDelayMs: 1, maxDelayMs: 2 };

beforeAll(async () => {
  await ensureTables(client, { checkpoints: uniqueName('c'), quarantine: table, audit: uniqueName('a') });
});
afterAll(() => client.destroy());

const record = (group: string, partition: number, offset: number): QuarantineInput => ({
  group,
  topic: 'orders',
  partition,
  offset,
  key: Buffer.from(`k-${offset}`).toString('base64'),
  value: Buffer.from(`v-${offset}`).toString('base64'),
  headers: [],
  idempotencyKey: `id-${offset}`,
  reason: 'probable-duplicate',
});

/** Sends every command for real, but loses the response of the first UpdateItem (a timeout). */
class LostUpdateResponse implements DynamoDBSender {
  #lost = false;
  public async send(command: object): Promise<unknown> {
    const out = await client.send(command as never);
    if (command.constructor.name === 'UpdateItemCommand' && !this.#lost) {
      this.#lost = true;
      throw Object.assign(new Error('socket timed out'), { name: 'TimeoutError', $metadata: {} });
    }
    return out;
  }
}

describe('QuarantineStore.markReplayed after a lost response', () => {
  it('answers true (our own mark), not false (a concurrent replay)', async () => {
    // Prepare
    const store = new QuarantineStore(new LostUpdateResponse(), table, { retry: FAST });
    const { ids } = await store.put([record(uniqueName('g'), 0, 7)]);
    const id = ids[0]!;

    // Act
    const marked = await store.markReplayed(id, { by: 'alice', to: 'orders-0@99' });
    const again = await store.markReplayed(id, { by: 'alice', to: 'orders-0@100' });

    // Assess
    expect(marked).toBe(true);
    expect(again).toBe(false);
    expect(await store.get(id)).toMatchObject({
      status: QuarantineStatus.Replayed,
      replayedTo: 'orders-0@99',
    });
  });
});

describe('replayRecords when a produce request fails', () => {
  it('throws ReplaySendError naming the uncertain, the replayed and the unsent records', async () => {
    // Prepare
    const store = new QuarantineStore(client, table, { retry: FAST });
    const group = uniqueName('g');
    const { ids } = await store.put([record(group, 0, 1), record(group, 1, 2), record(group, 2, 3)]);
    const records = await store.getMany(ids);
    let sends = 0;
    const producer = {
      async send(request: ProducerRecord): Promise<RecordMetadata[]> {
        sends++;
        if (sends === 2)
          throw Object.assign(new Error('Request timed out'), { name: 'KafkaJSRequestTimeoutError' });
        const partition = request.messages[0]?.partition ?? 0;
        return [{ topicName: request.topic, partition, errorCode: 0, baseOffset: '10' }];
      },
    };

    // Act
    const error = await replayRecords(records, { producer, store, by: 'alice' }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ReplaySendError);
    expect(error).toMatchObject({ uncertain: [ids[1]], replayed: [ids[0]], unsent: [ids[2]] });
    expect((error as Error).message).toMatch(
      /orders-1 failed.*may or may not have been written.*mskguard-replay/,
    );
    const stored = await store.getMany(ids);
    expect(stored.map((r) => r.status)).toEqual([
      QuarantineStatus.Replayed,
      QuarantineStatus.Quarantined,
      QuarantineStatus.Quarantined,
    ]);
  });
});
