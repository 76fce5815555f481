// What the end-to-end restore suites share: the real broker, DynamoDB Local tables and Redis, set
// up before a suite and closed after it, and the restore they run.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll } from 'vitest';
import { LOCAL_AWS } from '#local/services.ts';
import { ensureTables } from '#local/tables.ts';
import { DynamoCheckpointStore } from '#shared/checkpoints/dynamodb-store.ts';
import { openRestoreClients } from '#shared/restore/clients.ts';
import { runRestore } from '#shared/restore/engine.ts';
import { consumeGuarded, type GuardedConsumption } from './guarded-poller.ts';
import { ADAPTERS } from './runners.ts';
import { stackEnv, uniqueName } from './stack.ts';

/** The local stack's clients for one suite (hooks registered here). */
export function useRestoreE2e() {
  const env = stackEnv();
  const kafka = new Kafka({ brokers: [env.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const ddb = new DynamoDBClient({ ...LOCAL_AWS, endpoint: env.DYNAMODB_ENDPOINT });
  const tables = { checkpoints: uniqueName('cp'), quarantine: uniqueName('q'), audit: uniqueName('a') };
  const runner = ADAPTERS.resp();
  beforeAll(async () => {
    await admin.connect();
    await ensureTables(ddb, tables);
  });
  afterAll(async () => {
    await admin.disconnect();
    await runner.close();
    ddb.destroy();
  });

  /** An executed restore of `group` to the start of the log (`timestamp` at a time before every record). */
  async function restoreToStart(group: string, topic: string, mode: 'recover' | 'reprocess') {
    const clients = await openRestoreClients({
      brokers: [env.KAFKA_BROKERS],
      checkpointTable: tables.checkpoints,
      auditTable: tables.audit,
      dynamodbEndpoint: env.DYNAMODB_ENDPOINT,
    });
    try {
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

  /** A new topic of `partitions` partitions, each holding `perPartition` records with business keys. */
  async function keyedTopic(prefix: string, partitions: number, perPartition: number): Promise<string> {
    const topic = uniqueName(prefix);
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    for (let partition = 0; partition < partitions; partition++) {
      await producer.send({
        topic,
        messages: Array.from({ length: perPartition }, (_, i) => ({
          partition,
          value: `v${i}`,
          headers: { 'idempotency-key': `${partition}-${i}` },
        })),
      });
    }
    await producer.disconnect();
    return topic;
  }

  /** Consumes `topic` to its end as `group` through the guard, counting what reaches the handler. */
  function consumeToEnd(
    topic: string,
    group: string,
    seen: Map<string, number>,
    extra: Pick<GuardedConsumption, 'failOn' | 'poller'> = {},
  ): Promise<void> {
    const checkpoints = new DynamoCheckpointStore(ddb, tables.checkpoints);
    return consumeGuarded({
      brokers: env.KAFKA_BROKERS,
      admin,
      topic,
      group,
      cache: runner,
      checkpoints,
      seen,
      ...extra,
    });
  }

  return { env, admin, restoreToStart, keyedTopic, consumeToEnd };
}
