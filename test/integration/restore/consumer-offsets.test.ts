// Design §7 consumer-offsets strategy: the decoder reads the real records a Kafka 3.9 broker
// writes to __consumer_offsets (commits of a consuming kafkajs group, group metadata,
// tombstones), the group's commits live in the partition Kafka's hash names, and the bounded
// scan returns the last commit at or before T per partition.
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONSUMER_OFFSETS_TOPIC,
  consumerOffsetsPartitionFor,
  decodeOffsetCommitKey,
  decodeOffsetCommitRecord,
} from '#shared/restore/consumer-offsets-codec.ts';
import { KafkaConsumerOffsetsReader } from '#shared/restore/consumer-offsets-reader.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const env = stackEnv();
const kafka = new Kafka({ brokers: [env.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const topic = uniqueName('restore-co');
const group = uniqueName('g-co');
const times: { before: number; between: number; after: number } = { before: 0, between: 0, after: 0 };

/** Consumes every record of the topic in `group`, committing offset+1 after each, with metadata. */
async function consumeAndCommit(count: number, metadata: string): Promise<void> {
  const consumer = kafka.consumer({
    groupId: group,
    sessionTimeout: 6000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          await consumer.commitOffsets([
            { topic, partition, offset: String(Number(message.offset) + 1), metadata },
          ]);
          if (++seen === count) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
}

async function produce(perPartition: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: Array.from({ length: perPartition * 2 }, (_, n) => ({ partition: n % 2, value: `v${n}` })),
  });
  await producer.disconnect();
}

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  times.before = Date.now();
  await produce(3);
  await consumeAndCommit(6, 'first');
  await sleep(50);
  times.between = Date.now();
  await sleep(50);
  await produce(2);
  await consumeAndCommit(4, 'second');
  times.after = Date.now();
});
afterAll(async () => {
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
});

describe('KafkaConsumerOffsetsReader on real commits', () => {
  it('finds the last commit at or before T per partition, with its metadata, epoch and time', async () => {
    // Prepare
    const reader = new KafkaConsumerOffsetsReader(kafka, admin);
    const progress: string[] = [];

    // Act
    const early = await reader.lastCommitsAt(group, topic, new Date(times.between), (l) => progress.push(l));
    const late = await reader.lastCommitsAt(group, topic, new Date(times.after));

    // Assess
    const view = (c: typeof early) =>
      [...c.commits.values()]
        .sort((a, b) => a.partition - b.partition)
        .map((r) => [r.partition, r.offset, r.metadata]);
    expect(view(early)).toEqual([
      [0, 3, 'first'],
      [1, 3, 'first'],
    ]);
    expect(view(late)).toEqual([
      [0, 5, 'second'],
      [1, 5, 'second'],
    ]);
    for (const c of early.commits.values()) {
      // Kafka 3.9 writes value v3; kafkajs commits without a leader epoch, stored as -1.
      expect(c).toMatchObject({ valueVersion: 3, leaderEpoch: -1, expireTimestamp: -1 });
      expect(c.commitTimestamp).toBeGreaterThanOrEqual(times.before);
      expect(c.commitTimestamp).toBeLessThanOrEqual(times.between);
    }
    expect(early.complete).toBe(true);
    expect(progress[0]).toMatch(
      new RegExp(
        `^scanning __consumer_offsets-${early.scannedPartition} offsets 0\\.\\.\\d+ for group ${group}$`,
      ),
    );
    expect(progress.at(-1)).toMatch(/\(100%\), 2 partition\(s\) found$/);
  });

  it('still finds the commits after the group is deleted (tombstones are skipped)', async () => {
    // Prepare
    const other = uniqueName('g-co-del');
    await admin.setOffsets({
      groupId: other,
      topic,
      partitions: [
        { partition: 0, offset: '4' },
        { partition: 1, offset: '2' },
      ],
    });
    await admin.deleteGroups([other]);
    const reader = new KafkaConsumerOffsetsReader(kafka, admin);

    // Act
    const found = await reader.lastCommitsAt(other, topic, new Date());

    // Assess
    expect([...found.commits.values()].map((c) => [c.partition, c.offset]).sort()).toEqual([
      [0, 4],
      [1, 2],
    ]);
  });
});

describe('decoder on every record of __consumer_offsets', () => {
  it('decodes all keys and commits the broker wrote, and the group lives in the hashed partition', async () => {
    // Prepare: a stack reused across runs keeps every group's commits, so the bound is generous.
    const ranges = await admin.fetchTopicOffsets(CONSUMER_OFFSETS_TOPIC);
    const pending = new Map(
      ranges.filter((r) => Number(r.high) > Number(r.low)).map((r) => [r.partition, Number(r.high)]),
    );
    const consumer = kafka.consumer({ groupId: uniqueName('scan-all'), maxWaitTimeInMs: 100 });
    const ours = new Set<number>();
    const kinds = { commits: 0, tombstones: 0, other: 0 };

    // Act: read every partition up to the high watermark seen at start.
    await consumer.connect();
    await consumer.subscribe({ topic: CONSUMER_OFFSETS_TOPIC, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const bound = setTimeout(() => reject(new Error(`scan incomplete: ${[...pending.keys()]}`)), 110_000);
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (Number(payload.lastOffset) + 1 >= (pending.get(payload.partition) ?? 0))
          pending.delete(payload.partition);
        if (pending.size === 0) {
          clearTimeout(bound);
          resolve();
        }
      });
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const key = message.key ? decodeOffsetCommitKey(message.key) : null;
            if (!key) return void kinds.other++;
            if (!message.value) return void kinds.tombstones++;
            const commit = decodeOffsetCommitRecord(message.key, message.value);
            if (commit) kinds.commits++;
            if (key.group === group) ours.add(partition);
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();

    // Assess
    expect(kinds.commits).toBeGreaterThan(10);
    expect(kinds.other).toBeGreaterThan(0);
    expect([...ours]).toEqual([consumerOffsetsPartitionFor(group, ranges.length)]);
  }, 120_000);
});
