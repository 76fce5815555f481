import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Admin } from 'kafkajs';
import { LambdaKafkaPoller, type PollerOptions, type StartingPosition } from '#local/poller/index.ts';
import type { ScriptRunner } from '#shared/cache/script-runner.ts';
import type { CheckpointStore } from '#shared/checkpoints/types.ts';
import { mskGuard } from '#shared/middleware/mskGuard.ts';
import { type KafkaEvent, type ParsedRecord, processRecordsInOrder } from '#shared/msk/index.ts';
import { TEST_CACHE_SHARDS } from '#test/support/runners.ts';

/** What {@link consumeGuarded} needs: the topic and group, the guard's clients, where to count. */
export interface GuardedConsumption {
  readonly brokers: string;
  readonly admin: Admin;
  readonly topic: string;
  readonly group: string;
  readonly cache: ScriptRunner;
  readonly checkpoints: CheckpointStore;
  /** Record coordinate → how many times it reached the handler (shared across calls). */
  readonly seen: Map<string, number>;
  /** Stop once the group has committed at least this many records in all (default: the end of every partition). */
  readonly stopAtCommitted?: number;
  readonly timeoutMs?: number;
  /** Where the group starts without committed offsets. @default TRIM_HORIZON */
  readonly startingPosition?: StartingPosition;
  /** The handler fails on these records (a poison record, a downstream outage). @default none */
  readonly failOn?: (record: ParsedRecord) => boolean;
  /** More of the poller's settings (batch size, retries, the on-failure hook). */
  readonly poller?: Partial<Omit<PollerOptions, 'brokers' | 'topic' | 'groupId' | 'handler'>>;
}

/**
 * Consumes `topic` as `group` through `mskGuard` behind the Lambda poller emulator, counting what
 * reaches the handler per record, until the group's committed offsets reach the end of every
 * partition (or `stopAtCommitted` records in all); then stops the poller.
 */
export async function consumeGuarded(c: GuardedConsumption): Promise<void> {
  const handler = middy<KafkaEvent, unknown, Error, Context>()
    .use(
      mskGuard({
        consumerGroup: c.group,
        cache: c.cache,
        cacheShards: TEST_CACHE_SHARDS,
        checkpoints: c.checkpoints,
      }),
    )
    .handler(
      async (event) =>
        (
          await processRecordsInOrder(event, (record) => {
            if (c.failOn?.(record)) throw new Error(`failing ${record.coordinate}`);
            c.seen.set(record.coordinate, (c.seen.get(record.coordinate) ?? 0) + 1);
          })
        ).response,
    );
  const poller = new LambdaKafkaPoller({
    brokers: [c.brokers],
    topic: c.topic,
    groupId: c.group,
    handler: handler as never,
    batchSize: 25,
    batchingWindowMs: 20,
    ...(c.startingPosition ? { startingPosition: c.startingPosition } : {}),
    ...c.poller,
  });
  await poller.start();
  const ends = new Map(
    (await c.admin.fetchTopicOffsets(c.topic)).map((p) => [p.partition, Number(p.high)] as const),
  );
  const done = async () => {
    const [offsets] = await c.admin.fetchOffsets({ groupId: c.group, topics: [c.topic] });
    const parts = offsets?.partitions ?? [];
    if (c.stopAtCommitted !== undefined) {
      return parts.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0) >= c.stopAtCommitted;
    }
    return parts.length === ends.size && parts.every((p) => Number(p.offset) === ends.get(p.partition));
  };
  const deadline = Date.now() + (c.timeoutMs ?? 30_000);
  try {
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`group ${c.group} did not get through ${c.topic} in time`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await poller.stop();
  }
}
