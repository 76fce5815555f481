// G1 and G2 across a restore, end to end on the real broker, DynamoDB Local and Redis: a group
// consumes through the middleware behind the Lambda poller emulator, loses its offsets (reset to
// the start of the log), and is restored. In `recover` mode, consuming again hands the handler no
// record twice and skips none (counted per record); in `reprocess` mode every record reaches the
// handler once more.
import { describe, expect, it } from 'vitest';
import { useRestoreE2e } from '#test/support/restore-e2e.ts';
import { uniqueName } from '#test/support/stack.ts';

const { admin, restoreToStart, keyedTopic, consumeToEnd } = useRestoreE2e();
const RECORDS_PER_PARTITION = 40;

describe.each(['recover', 'reprocess'] as const)('a %s restore, then consuming again', (mode) => {
  it(
    mode === 'recover'
      ? 'hands no record twice and skips none'
      : 'hands every record to the handler once more',
    async () => {
      // Prepare: 2 partitions, consumed once through the middleware.
      const topic = await keyedTopic('restore-e2e', 2, RECORDS_PER_PARTITION);
      const group = uniqueName('grp');
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
