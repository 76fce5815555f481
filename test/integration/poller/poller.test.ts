// Design §9 (the local runner emulates the Lambda Kafka poller) on the real broker: the events it
// builds are Lambda's (parsed by parseMskEvent), offsets are committed only after success (read
// back with a separate admin client), partial-batch responses redeliver from the failed offset, a
// lost commit is read again, and batches respect batchSize and the 6 MB payload limit. G3 of the
// poller: commits only move past records whose invocation succeeded. Retries and their pacing:
// poller.retries.test.ts.
import { randomBytes } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { LAMBDA_PAYLOAD_LIMIT_BYTES, LambdaKafkaPoller } from '#local/poller/index.ts';
import { type KafkaEvent, parseMskEvent, processRecordsInOrder } from '#shared/msk/index.ts';
import { usePollerFixture } from './poller-fixture.ts';

const { env, pollers, topicWith, produce, committed, waitUntil, startPoller, offsetsOf } = usePollerFixture();

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
