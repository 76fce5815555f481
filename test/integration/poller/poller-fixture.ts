// The broker, topics, producer and pollers the local poller's tests share; each test file calls
// usePollerFixture() once, which connects before its tests and stops everything after them.
import type { Context } from 'aws-lambda';
import { type Admin, Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll } from 'vitest';
import {
  type InvokedEvent,
  LambdaKafkaPoller,
  type PollerOptions,
  type RetriedEvent,
} from '#local/poller/index.ts';
import { type KafkaEvent, parseMskEvent } from '#shared/msk/index.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

type Handler = (event: KafkaEvent, context: Context) => unknown;

/** Registers the file's hooks and answers its helpers: topics, records, commits, pollers. */
export function usePollerFixture() {
  const env = stackEnv();
  const kafka = new Kafka({
    brokers: [env.KAFKA_BROKERS],
    logLevel: logLevel.NOTHING,
    clientId: 'poller-it',
  });
  const admin: Admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const pollers: LambdaKafkaPoller[] = [];

  beforeAll(async () => {
    await Promise.all([admin.connect(), producer.connect()]);
  });

  afterAll(async () => {
    await Promise.all(pollers.map((p) => p.stop()));
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  });

  async function topicWith(partitions: number): Promise<string> {
    const topic = uniqueName('poller');
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    return topic;
  }

  /** Records `values[i]` to `partition`, one produce request per record when they are large. */
  async function produce(
    topic: string,
    partition: number,
    values: readonly (string | Buffer)[],
  ): Promise<void> {
    const large = values.some((v) => v.length > 100_000);
    const messages = values.map((value, i) => ({
      partition,
      key: `k-${i}`,
      value,
      headers: { 'idempotency-key': `id-${partition}-${i}`, note: 'é' },
    }));
    if (!large) await producer.send({ topic, messages });
    else for (const m of messages) await producer.send({ topic, messages: [m] });
  }

  /** The group's committed offset per partition, read by a client the poller does not share. */
  async function committed(groupId: string, topic: string): Promise<Map<number, number>> {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  }

  /** Polls `condition` until it holds; fails naming `what` after `ms`. */
  async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, ms = 20_000) {
    const deadline = Date.now() + ms;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function startPoller(topic: string, handler: Handler, extra: Partial<PollerOptions> = {}) {
    const groupId = uniqueName('grp');
    const invoked: InvokedEvent[] = [];
    const commits: number[] = [];
    const retried: RetriedEvent[] = [];
    const poller = new LambdaKafkaPoller({
      brokers: [env.KAFKA_BROKERS],
      topic,
      groupId,
      handler,
      batchingWindowMs: 0,
      ...extra,
    });
    poller.on('invoked', (e) => invoked.push(e));
    poller.on('committed', (e) => commits.push(e.offset));
    // Retries come at once: listen before the first fetch.
    poller.on('retried', (e) => retried.push(e));
    pollers.push(poller);
    await poller.start();
    return { poller, groupId, invoked, commits, retried };
  }

  const offsetsOf = (event: KafkaEvent) => parseMskEvent(event).records.map((r) => r.offset);

  return { env, pollers, topicWith, produce, committed, waitUntil, startPoller, offsetsOf };
}
