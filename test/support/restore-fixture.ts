import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { ensureTables } from '#local/tables.ts';
import { localCheckpointStore } from './checkpoint-fixture.ts';
import { stackEnv, uniqueName } from './stack.ts';

/**
 * What the restore suites share: a topic of their own on the local broker, a kafkajs admin for the
 * code under test and a separate one (`observer`) that reads results back, fresh checkpoint /
 * quarantine / audit tables on DynamoDB Local, and real group members to commit offsets with.
 */
export function restoreFixture(topicPrefix: string) {
  const env = stackEnv();
  const kafka = new Kafka({ brokers: [env.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const observer = new Kafka({
    brokers: [env.KAFKA_BROKERS],
    logLevel: logLevel.NOTHING,
    clientId: 'observer',
  }).admin();
  const { ddb, tables, store: checkpoints } = localCheckpointStore(env);
  const topic = uniqueName(topicPrefix);

  /** A member of `group` subscribed to the topic; it stays in the group until disconnected. */
  const member = async (group: string, fromBeginning: boolean): Promise<Consumer> => {
    const consumer = kafka.consumer({
      groupId: group,
      sessionTimeout: 6000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 100,
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning });
    await consumer.run({ autoCommit: false, eachBatch: async () => {} });
    return consumer;
  };

  return {
    env,
    kafka,
    admin,
    observer,
    ddb,
    tables,
    checkpoints,
    topic,
    member,
    /** Commits `offsets[p]` for each partition p as a real group member would: join, commit, leave. */
    async commit(group: string, offsets: readonly number[]): Promise<void> {
      const consumer = await member(group, true);
      consumer.pause([{ topic }]);
      await consumer.commitOffsets(offsets.map((o, partition) => ({ topic, partition, offset: String(o) })));
      await consumer.disconnect();
    },
    /** The group's committed offsets per partition, read by the observer (not the code under test). */
    async committed(group: string): Promise<number[]> {
      const [entry] = await observer.fetchOffsets({ groupId: group, topics: [topic] });
      return (entry?.partitions ?? []).sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
    },
    /** Checkpoints `offsets[p]` for each partition p, as the middleware would have. */
    advance(group: string, offsets: readonly number[], requestId = uniqueName('req')) {
      return checkpoints.advance(
        group,
        offsets.map((nextOffset, partition) => ({ topic, partition, nextOffset })),
        { requestId, epoch: 0 },
      );
    },
    /** Connects the admins, creates the tables and a topic of `partitions` partitions. */
    async open(partitions: number): Promise<void> {
      await Promise.all([admin.connect(), observer.connect(), ensureTables(ddb, tables)]);
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    },
    /** Produces `count` records round-robin; record n has timestamp `base + floor(n / partitions)` s. */
    async produce(partitions: number, count: number, base: number): Promise<void> {
      // Idempotent: a send kafkajs retries after a timeout on a slow host must not write its records
      // twice (the suites assert each partition's high water mark; a CI run saw 40 for 20).
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const messages = Array.from({ length: count }, (_, n) => ({
        partition: n % partitions,
        value: `v${n}`,
        timestamp: String(base + Math.floor(n / partitions) * 1000),
      }));
      await producer.send({ topic, messages });
      await producer.disconnect();
    },
    async close(): Promise<void> {
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await Promise.all([admin.disconnect(), observer.disconnect()]);
      ddb.destroy();
    },
  };
}
