// The local Lambda Kafka poller's retries on the real broker: a throwing batch is retried up to
// maximumRetryAttempts and then goes to the on-failure hook; retries follow Lambda's documented
// pacing (docs/decisions/0011-kafka-retry-pacing.md): no delay between them, -1 is infinite and
// becomes 10 with an on-failure destination, a backoff only when asked for; an invocation that
// outlives the function timeout fails and is retried.
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { FailedBatch } from '#local/poller/index.ts';
import type { KafkaEvent } from '#shared/msk/index.ts';
import { usePollerFixture } from './poller-fixture.ts';

const { topicWith, produce, committed, waitUntil, startPoller, offsetsOf } = usePollerFixture();

describe('LambdaKafkaPoller retries', () => {
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
});
