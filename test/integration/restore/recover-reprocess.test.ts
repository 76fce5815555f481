// G1 and G2 across a restore, end to end on the real broker, DynamoDB Local and Redis: a group
// consumes through the middleware behind the Lambda poller emulator, loses its offsets (reset to
// the start of the log), and is restored. In `recover` mode, consuming again hands the handler no
// record twice and skips none (counted per record); in `reprocess` mode every record reaches the
// handler once more.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '#local/services.ts';
import { ensureTables } from '#local/tables.ts';
import { DynamoCheckpointStore } from '#shared/checkpoints/dynamodb-store.ts';
import { openRestoreClients } from '#shared/restore/clients.ts';
import { runRestore } from '#shared/restore/engine.ts';
import { consumeGuarded } from '#test/support/guarded-poller.ts';
import { ADAPTERS } from '#test/support/runners.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const env = stackEnv();
const kafka = new Kafka({ brokers: [env.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const ddb = new DynamoDBClient({ ...LOCAL_AWS, endpoint: env.DYNAMODB_ENDPOINT });
const tables = { checkpoints: uniqueName('cp'), quarantine: uniqueName('q'), audit: uniqueName('a') };
const runner = ADAPTERS.resp();
const RECORDS_PER_PARTITION = 40;

beforeAll(async () => {
  await admin.connect();
  await ensureTables(ddb, tables);
});
afterAll(async () => {
  await admin.disconnect();
  await runner.close();
  ddb.destroy();
});

/** Consumes the topic to its end as `group`, counting what reaches the handler per record. */
function consumeToEnd(topic: string, group: string, seen: Map<string, number>): Promise<void> {
  const checkpoints = new DynamoCheckpointStore(ddb, tables.checkpoints);
  return consumeGuarded({
    brokers: env.KAFKA_BROKERS,
    admin,
    topic,
    group,
    cache: runner,
    checkpoints,
    seen,
  });
}

async function restore(group: string, topic: string, mode: 'recover' | 'reprocess') {
  const clients = await openRestoreClients({
    brokers: [env.KAFKA_BROKERS],
    checkpointTable: tables.checkpoints,
    auditTable: tables.audit,
    dynamodbEndpoint: env.DYNAMODB_ENDPOINT,
  });
  try {
    // The `timestamp` strategy at a time before every record: the start of the log.
    return await runRestore(
      {
        group,
        topic,
        strategy: 'timestamp',
        at: '2000-01-01T00:00:00Z',
        mode,
        execute: true,
        requestedBy: 'test',
      },
      clients.deps,
    );
  } finally {
    await clients.close();
  }
}

describe.each(['recover', 'reprocess'] as const)('a %s restore, then consuming again', (mode) => {
  it(
    mode === 'recover'
      ? 'hands no record twice and skips none'
      : 'hands every record to the handler once more',
    async () => {
      // Prepare: 2 partitions, consumed once through the middleware.
      const topic = uniqueName('restore-e2e');
      const group = uniqueName('grp');
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
      const producer = kafka.producer();
      await producer.connect();
      for (const partition of [0, 1]) {
        await producer.send({
          topic,
          messages: Array.from({ length: RECORDS_PER_PARTITION }, (_, i) => ({
            partition,
            value: `v${i}`,
            headers: { 'idempotency-key': `${partition}-${i}` },
          })),
        });
      }
      await producer.disconnect();
      const seen = new Map<string, number>();
      await consumeToEnd(topic, group, seen);

      // Act: the offsets go back to the start of the log (an operator mistake, a recreated ESM);
      // the restore runs in this mode; the consumer reads to the end again.
      const outcome = await restore(group, topic, mode);
      const [reset] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      await consumeToEnd(topic, group, seen);

      // Assess
      expect(outcome.result?.status).toBe('succeeded');
      expect(reset?.partitions.map((p) => Number(p.offset))).toEqual([0, 0]);
      expect(seen.size).toBe(2 * RECORDS_PER_PARTITION);
      const counts = new Set(seen.values());
      expect(counts).toEqual(new Set([mode === 'recover' ? 1 : 2]));
    },
  );
});
