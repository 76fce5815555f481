// Design §9 (the local runner emulates the Lambda Kafka poller) on the real broker: the events it
// builds are Lambda's (parsed by parseMskEvent), offsets are committed only after success (read
// back with a separate admin client), partial-batch responses redeliver from the failed offset,
// a throwing batch is retried up to maximumRetryAttempts and then goes to the on-failure hook,
// and batches respect batchSize and the 6 MB payload limit. Retries follow Lambda's documented
// pacing (docs/decisions/0011-kafka-retry-pacing.md): no delay between them, -1 is infinite and
// becomes 10 with an on-failure destination; a backoff is only there when asked for. G3 of the poller: commits only move
// past records whose invocation succeeded.
import { randomBytes } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { type Admin, Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FailedBatch,
  type InvokedEvent,
  LAMBDA_PAYLOAD_LIMIT_BYTES,
  LambdaKafkaPoller,
  type PollerOptions,
  type RetriedEvent,
} from '#local/poller/index.ts';
import { type KafkaEvent, parseMskEvent, processRecordsInOrder } from '#shared/msk/index.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const env = stackEnv();
const kafka = new Kafka({ brokers: [env.KAFKA_BROKERS], logLevel: logLevel.NOTHING, clientId: 'poller-it' });
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

type Handler = (event: KafkaEvent, context: Context) => unknown;

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

describe('LambdaKafkaPoller', () => {
  it('builds Lambda MSK events, one partition per event, and commits each partition to its end', async () => {
    // Prepare
    const topic = await topicWith(2);
    await produce(topic, 0, ['{"n":0}', '{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']);
    await produce(topic, 1, ['{"n":5}', '{"n":6}', '{"n":7}']);
    const events: KafkaEvent[] = [];
    const contexts: Context[] = [];

    // Act
    const { poller, groupId } = await startPoller(topic, (event, context) => {
      events.push(event);
      contexts.push(context);
    });
    await waitUntil(async () => {
      const c = await committed(groupId, topic);
      return c.get(0) === 5 && c.get(1) === 3;
    }, 'both partitions are committed to their end');
    await poller.stop();

    // Assess
    const records = events.flatMap((e) => parseMskEvent(e).records);
    expect(records.map((r) => r.value?.toString()).sort()).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((n) => `{"n":${n}}`),
    );
    for (const event of events) {
      expect(event.eventSource).toBe('aws:kafka');
      expect(event.eventSourceArn).toMatch(/^arn:aws:kafka:/);
      expect(event.bootstrapServers).toBe(env.KAFKA_BROKERS);
      expect(Object.keys(event.records)).toHaveLength(1);
    }
    const first = parseMskEvent(events.find((e) => e.records[`${topic}-0`])!).records[0]!;
    expect(first.key?.toString()).toBe('k-0');
    expect(first.lastHeader('idempotency-key')?.toString()).toBe('id-0-0');
    expect(first.raw.headers).toContainEqual({ note: [-61, -87] });
    expect(typeof first.raw.value).toBe('string');
    expect(new Set(contexts.map((c) => c.awsRequestId)).size).toBe(contexts.length);
    expect(contexts.every((c) => c.getRemainingTimeInMillis() <= 60_000)).toBe(true);
  });

  it('commits a batch only after its invocation succeeded', async () => {
    // Prepare
    const topic = await topicWith(1);
    await produce(topic, 0, ['a', 'b', 'c', 'd', 'e', 'f']);
    const gates: (() => void)[] = [];
    const handler = () => new Promise<void>((resolve) => gates.push(resolve));

    // Act
    const { groupId, invoked } = await startPoller(topic, handler, { batchSize: 3 });
    await waitUntil(() => gates.length === 1, 'the first invocation runs');
    const whileFirstRuns = await committed(groupId, topic);
    gates[0]!();
    await waitUntil(() => gates.length === 2, 'the second invocation runs');
    const whileSecondRuns = await committed(groupId, topic);
    gates[1]!();
    await waitUntil(
      async () => (await committed(groupId, topic)).get(0) === 6,
      'the second batch is committed',
    );

    // Assess
    expect(whileFirstRuns.get(0)).toBe(-1);
    expect(whileSecondRuns.get(0)).toBe(3);
    expect(invoked.map((i) => [i.firstOffset, i.lastOffset, i.outcome])).toEqual([
      [0, 2, 'success'],
      [3, 5, 'success'],
    ]);
  });

  it('honours a partial-batch response: commits up to the failed offset and redelivers from it', async () => {
    // Prepare
    const topic = await topicWith(1);
    await produce(topic, 0, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    let failOnce = true;
    const handler = async (event: KafkaEvent) =>
      (
        await processRecordsInOrder(event, (record) => {
          if (record.offset === 4 && failOnce) {
            failOnce = false;
            throw new Error('downstream timeout on record 4');
          }
        })
      ).response;

    // Act
    const { groupId, invoked, commits } = await startPoller(topic, handler, { batchSize: 10 });
    // The broker may show the commit before the poller's `committed` event has fired: wait for both.
    await waitUntil(
      async () => (await committed(groupId, topic)).get(0) === 10 && commits.at(-1) === 10,
      'the partition is committed',
    );

    // Assess
    expect(invoked.map((i) => [i.firstOffset, i.lastOffset, i.outcome, i.retryFrom])).toEqual([
      [0, 9, 'partial', 4],
      [4, 9, 'success', undefined],
    ]);
    expect(commits).toEqual([4, 10]);
  });

  it('retries a throwing batch maximumRetryAttempts times, then hands it to the on-failure hook and skips it', async () => {
    // Prepare
    const topic = await topicWith(1);
    await produce(topic, 0, ['0', '1', '2', '3']);
    const failures: FailedBatch[] = [];
    const handler = (event: KafkaEvent) => {
      if (offsetsOf(event).includes(0)) throw new Error('poison batch');
    };

    // Act
    const { poller, groupId, invoked, commits, retried } = await startPoller(topic, handler, {
      batchSize: 2,
      maximumRetryAttempts: 2,
      onFailure: (f) => {
        failures.push(f);
      },
    });
    await waitUntil(
      async () => (await committed(groupId, topic)).get(0) === 4 && commits.at(-1) === 4,
      'the partition is committed',
    );

    // Assess
    expect(invoked.map((i) => [i.firstOffset, i.attempt, i.outcome])).toEqual([
      [0, 1, 'error'],
      [0, 2, 'error'],
      [0, 3, 'error'],
      [2, 1, 'success'],
    ]);
    expect(retried.map((r) => [r.attempt, r.delayMs])).toEqual([
      [1, 0],
      [2, 0],
    ]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      firstOffset: 0,
      lastOffset: 1,
      records: 2,
      attempts: 3,
      error: 'poison batch',
    });
    expect(offsetsOf(failures[0]!.event)).toEqual([0, 1]);
    expect(poller.failedBatches).toEqual(failures);
    expect(commits).toEqual([2, 4]);
  });

  it('retries 10 times when retries are infinite (-1) and an on-failure destination is set', async () => {
    // Prepare
    const topic = await topicWith(1);
    await produce(topic, 0, ['0', '1']);
    const failures: FailedBatch[] = [];
    let calls = 0;
    const handler = (event: KafkaEvent) => {
      calls++;
      return {
        batchItemFailures: [{ itemIdentifier: { partition: `${topic}-0`, offset: offsetsOf(event)[0] } }],
      };
    };

    // Act
    const { groupId, invoked } = await startPoller(topic, handler, {
      batchSize: 2,
      maximumRetryAttempts: -1,
      onFailure: (f) => {
        failures.push(f);
      },
    });
    await waitUntil(async () => (await committed(groupId, topic)).get(0) === 2, 'the partition is committed');

    // Assess: a partial-batch response is a failed attempt like a throw.
    expect(calls).toBe(11);
    expect(invoked.map((i) => i.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(invoked.every((i) => i.outcome === 'partial' && i.retryFrom === 0)).toBe(true);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ firstOffset: 0, lastOffset: 1, attempts: 11, reason: 'partial' });
  });

  it('backs off exponentially only when retryBackoffMs asks for it', async () => {
    // Prepare
    const topic = await topicWith(1);
    await produce(topic, 0, ['0']);
    let calls = 0;
    const handler = () => {
      if (calls++ < 2) throw new Error('transient');
    };

    // Act
    const { groupId, retried } = await startPoller(topic, handler, { retryBackoffMs: 5 });
    await waitUntil(async () => (await committed(groupId, topic)).get(0) === 1, 'the partition is committed');

    // Assess
    expect(retried.map((r) => r.delayMs)).toEqual([5, 10]);
    expect(calls).toBe(3);
  });

  it('fails an invocation that outlives the function timeout and retries it', async () => {
    // Prepare
    const topic = await topicWith(1);
    await produce(topic, 0, ['0', '1']);
    const remaining: number[] = [];
    let calls = 0;
    const handler = async (_event: KafkaEvent, context: Context) => {
      remaining.push(context.getRemainingTimeInMillis());
      if (calls++ === 0) await new Promise((r) => setTimeout(r, 1500));
    };

    // Act
    const { groupId, invoked } = await startPoller(topic, handler, { timeoutMs: 300 });
    await waitUntil(async () => (await committed(groupId, topic)).get(0) === 2, 'the partition is committed');

    // Assess
    expect(invoked.map((i) => i.outcome)).toEqual(['timeout', 'success']);
    expect(invoked[0]!.error?.name).toBe('InvocationTimeoutError');
    expect(remaining.every((ms) => ms > 0 && ms <= 300)).toBe(true);
  });

  it('reads again from a lost commit, and a crashed poller leaves its batch to the next one', async () => {
    // Prepare
    const topic = await topicWith(1);
    await produce(topic, 0, ['0', '1', '2', '3', '4', '5']);
    const seen: number[][] = [];
    let decisions = 0;

    // Act: the first success loses the commit of its last two records; the next one crashes.
    const first = await startPoller(topic, (event) => void seen.push(offsetsOf(event)), {
      batchSize: 6,
      afterSuccess: () => (decisions++ === 0 ? { redeliverFrom: 4 } : 'crash'),
    });
    const reason = await first.poller.stopped;
    const afterCrash = await committed(first.groupId, topic);
    const next = new LambdaKafkaPoller({
      brokers: [env.KAFKA_BROKERS],
      topic,
      groupId: first.groupId,
      handler: (event) => void seen.push(offsetsOf(event)),
      batchingWindowMs: 0,
    });
    pollers.push(next);
    await next.start();
    await waitUntil(
      async () => (await committed(first.groupId, topic)).get(0) === 6,
      'the next poller commits',
    );

    // Assess
    expect(reason).toBe('crashed');
    expect(first.commits).toEqual([4]);
    expect(afterCrash.get(0)).toBe(4);
    expect(seen).toEqual([
      [0, 1, 2, 3, 4, 5],
      [4, 5],
      [4, 5],
    ]);
  });

  it('closes batches at batchSize records', async () => {
    // Prepare
    const topic = await topicWith(1);
    await produce(
      topic,
      0,
      Array.from({ length: 25 }, (_, i) => String(i)),
    );

    // Act
    const { groupId, invoked } = await startPoller(topic, () => undefined, { batchSize: 10 });
    await waitUntil(
      async () => (await committed(groupId, topic)).get(0) === 25,
      'the partition is committed',
    );

    // Assess
    expect(invoked.map((i) => i.records)).toEqual([10, 10, 5]);
  });

  it('keeps every event within the 6 MB payload limit', async () => {
    // Prepare: 700 KB records are ~933 KB in base64, so six fit in 6 MB and seven do not.
    const topic = await topicWith(1);
    await produce(
      topic,
      0,
      Array.from({ length: 10 }, () => randomBytes(700 * 1024)),
    );
    const sizes: number[] = [];
    const counts: number[] = [];

    // Act
    const { groupId } = await startPoller(
      topic,
      (event) => {
        sizes.push(Buffer.byteLength(JSON.stringify(event)));
        counts.push(offsetsOf(event).length);
      },
      { batchSize: 100 },
    );
    await waitUntil(
      async () => (await committed(groupId, topic)).get(0) === 10,
      'the partition is committed',
    );

    // Assess
    expect(counts.reduce((a, b) => a + b, 0)).toBe(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(LAMBDA_PAYLOAD_LIMIT_BYTES);
    expect(counts[0]).toBe(6);
  });
});
