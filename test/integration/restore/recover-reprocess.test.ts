// G1 and G2 across a restore, end to end on the real broker, DynamoDB Local and Redis: a group
// consumes through the middleware behind the Lambda poller emulator, loses its offsets (reset to
// the start of the log), and is restored. In `recover` mode, consuming again hands the handler no
// record twice and skips none (counted per record); in `reprocess` mode every record reaches the
// handler once more.
import { describe, expect, it } from 'vitest';
import { DynamoCheckpointStore } from '#shared/checkpoints/dynamodb-store.ts';
import { consumeGuarded } from '#test/support/guarded-poller.ts';
import { useRestoreE2e } from '#test/support/restore-e2e.ts';
import { uniqueName } from '#test/support/stack.ts';

const { env, kafka, admin, ddb, tables, runner, restoreToStart } = useRestoreE2e();
const RECORDS_PER_PARTITION = 40;

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
      const outcome = await restoreToStart(group, topic, mode);
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
