// Decision 0025: the chunk items of a large restore's plan and result share the group's pk in the
// audit table, under sort keys starting with `#`. The watchdog asks every minute, per consumer,
// whether a restore is running (a newest-first Query, Limit 5). Its key condition starts above `#`,
// so it never reads a chunk: a group with fewer than 5 restores used to have the Query go on into
// the chunks, up to ~1 MB per call. On DynamoDB Local, through the real DynamoAuditStore.

import { randomUUID } from 'node:crypto';
import { DynamoDBClient, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '#local/services.ts';
import { ensureTables } from '#local/tables.ts';
import { DynamoAuditStore } from '#shared/restore/audit.ts';
import { chunkPrefix, itemBytes } from '#shared/restore/audit-chunks.ts';
import type { RestorePlan } from '#shared/restore/types.ts';
import { AuditRestoreActivity, RESTORE_SORT_KEY_FLOOR } from '#shared/watchdog/sources.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';
import { checkpointPlanOf, largeTopic, succeededResult } from '../restore/large-topic-fixture.ts';

const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: stackEnv().DYNAMODB_ENDPOINT });
const tables = { checkpoints: uniqueName('cp'), quarantine: uniqueName('q'), audit: uniqueName('a') };
const audit = new DynamoAuditStore(client, tables.audit);

/** The watchdog's reader, with every Query answer it got kept for the assertions. */
function recordingActivity() {
  const answers: QueryCommandOutput[] = [];
  const sender = {
    send: async (command: object) => {
      const out = (await client.send(command as never)) as QueryCommandOutput;
      answers.push(out);
      return out;
    },
  };
  return { activity: new AuditRestoreActivity(sender, tables.audit, 600), answers };
}

/** Starts (and, with `finishedAt`, finishes) the audit item of `plan`. */
async function audited(plan: RestorePlan, startedAt: string, finishedAt?: string) {
  const key = await audit.start(plan, startedAt);
  if (finishedAt) {
    await audit.finish(key, succeededResult(plan, startedAt, finishedAt));
  }
  return key;
}

beforeAll(async () => {
  await ensureTables(client, tables);
});
afterAll(() => client.destroy());

describe("the watchdog's read of a group's audit items", () => {
  it('reads no chunk item when the group has a large finished restore and fewer than 5 restores', async () => {
    // Prepare: 10,000 partitions: 4 plan chunks and 1 result chunk of up to 350 KB each.
    const group = uniqueName('g-chunks');
    const topic = largeTopic({ group, partitions: 10_000 });
    const finished = await checkpointPlanOf(topic, group, randomUUID());
    const running = await checkpointPlanOf(largeTopic({ group, partitions: 3 }), group, randomUUID());
    const start = Date.now() - 60_000;
    await audited(finished, new Date(start).toISOString(), new Date(start + 1000).toISOString());
    await audited(running, new Date().toISOString());
    const { activity, answers } = recordingActivity();

    // Act
    const active = await activity.running(group, Date.now());

    // Assess
    expect(active).toBe(true);
    expect(answers).toHaveLength(1);
    const [answer] = answers;
    expect(answer!.Items!.map((i) => i.restoreId?.S)).toEqual([running.restoreId, finished.restoreId]);
    // Items DynamoDB read for the Query, before Limit and filters: the chunks are not among them.
    expect(answer!.ScannedCount).toBe(2);
    const bytes = answer!.Items!.reduce((sum, item) => sum + itemBytes(item), 0);
    expect(bytes).toBeLessThan(8 * 1024);
  });

  it('still reads the 5 newest restores of a group that has more, as before', async () => {
    // Prepare: 6 small restores a minute apart, the newest still running.
    const group = uniqueName('g-many');
    const topic = largeTopic({ group, partitions: 2 });
    const base = Date.now() - 10 * 60_000;
    const plans: RestorePlan[] = [];
    for (let i = 0; i < 6; i++) {
      const plan = await checkpointPlanOf(topic, group, randomUUID());
      const at = base + i * 60_000;
      await audited(plan, new Date(at).toISOString(), i < 5 ? new Date(at + 1000).toISOString() : undefined);
      plans.push(plan);
    }
    const { activity, answers } = recordingActivity();

    // Act
    const active = await activity.running(group, Date.now());

    // Assess
    expect(active).toBe(true);
    expect(answers[0]!.Items!.map((i) => i.restoreId?.S)).toEqual(
      plans
        .slice(1)
        .reverse()
        .map((p) => p.restoreId),
    );
  });

  it('places the floor between every chunk sort key and every restore sort key', () => {
    // Prepare
    const restoreSk = `${new Date(0).toISOString()}#${randomUUID()}`;

    // Act
    const chunkSks = (['plan', 'result'] as const).map((f) => `${chunkPrefix(f, restoreSk)}0000`);

    // Assess: DynamoDB compares string keys by their UTF-8 bytes, as Buffer.compare does.
    for (const sk of chunkSks)
      expect(Buffer.compare(Buffer.from(sk), Buffer.from(RESTORE_SORT_KEY_FLOOR))).toBe(-1);
    expect(Buffer.compare(Buffer.from(restoreSk), Buffer.from(RESTORE_SORT_KEY_FLOOR))).toBe(1);
  });
});
