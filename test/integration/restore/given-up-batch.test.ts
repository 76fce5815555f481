// Decision 0018 end to end, on the real broker, DynamoDB Local and Redis: a batch fails through its
// bounded retries, the Lambda poller emulator gives it up (on-failure destination) and moves on.
// After the fix, the on-failure runbook's remedy (a `recover` restore back past those offsets)
// gets exactly the given-up records processed: none skipped, none processed twice.
import { describe, expect, it } from 'vitest';
import type { FailedBatch } from '#local/poller/index.ts';
import { useRestoreE2e } from '#test/support/restore-e2e.ts';
import { uniqueName } from '#test/support/stack.ts';

const { restoreToStart, keyedTopic, consumeToEnd } = useRestoreE2e();
const RECORDS = 20;

describe('a batch given up after its retries', () => {
  it('is processed by a recover restore, and nothing else twice', async () => {
    // Prepare: one partition of 20 records; offset 7 is poison until fixed.
    const topic = await keyedTopic('given-up', 1, RECORDS);
    const group = uniqueName('grp');
    const seen = new Map<string, number>();
    const givenUp: FailedBatch[] = [];
    const consume = (poison: boolean) =>
      consumeToEnd(topic, group, seen, {
        failOn: (record) => poison && record.offset === 7,
        poller: { batchSize: 5, maximumRetryAttempts: 1, onFailure: (f) => void givenUp.push(f) },
      });
    await consume(true);
    const skipped = givenUp.flatMap((f) => range(f.firstOffset, f.lastOffset));
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped.every((o) => !seen.has(`${topic}-0@${o}`))).toBe(true);

    // Act: the cause is fixed; the group goes back to the start of the log in recover mode.
    const outcome = await restoreToStart(group, topic, 'recover');
    await consume(false);

    // Assess: the plan named the skipped offsets; every record reached the handler exactly once.
    expect(outcome.result?.status).toBe('succeeded');
    expect(outcome.plan.rows[0]?.skipped).toEqual([{ first: skipped[0], last: skipped.at(-1) }]);
    expect([...seen.keys()].sort()).toEqual(
      range(0, RECORDS - 1)
        .map((o) => `${topic}-0@${o}`)
        .sort(),
    );
    expect(new Set(seen.values())).toEqual(new Set([1]));
  });
});

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}
