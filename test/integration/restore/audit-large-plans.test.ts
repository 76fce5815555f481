// Decision 0025 (G6: the record of what a restore committed is never lost): on DynamoDB Local, the
// audit item of a restore over thousands of partitions (40-character topic, offsets near 2^40) is
// written whole, read back whole and undone; the item used to exceed the 400 KB item limit, which
// refused the restore (from ~840 partitions) or, just below that, lost its result after the offsets
// were committed, leaving an item `running` that undo refused. A plan too large even compressed is
// refused before anything is written or committed; items of the previous version read as before.
// The broker is a fake (large-topic-fixture.ts): the item's size depends on the plan alone.

import { randomUUID } from 'node:crypto';
import {
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '#local/services.ts';
import { ensureTables } from '#local/tables.ts';
import { DynamoAuditStore } from '#shared/restore/audit.ts';
import { AuditItemUnreadableError, AuditTooLargeError } from '#shared/restore/audit-chunks.ts';
import { runRestore } from '#shared/restore/engine.ts';
import { executePlan } from '#shared/restore/execute.ts';
import { planRestore } from '#shared/restore/plan.ts';
import { AuditRestoreActivity } from '#shared/watchdog/sources.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';
import { checkpointPlanOf, largeTopic, succeededResult } from './large-topic-fixture.ts';

const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: stackEnv().DYNAMODB_ENDPOINT });
const tables = { checkpoints: uniqueName('cp'), quarantine: uniqueName('q'), audit: uniqueName('a') };
const audit = new DynamoAuditStore(client, tables.audit);

/** Every item of the group's partition key (restores and chunks), newest sort key first. */
async function itemsOf(group: string, limit?: number) {
  const items: NonNullable<QueryCommandOutput['Items']> = [];
  let start: QueryCommandOutput['LastEvaluatedKey'];
  do {
    const out = (await client.send(
      new QueryCommand({
        TableName: tables.audit,
        KeyConditionExpression: 'pk = :g',
        ExpressionAttributeValues: { ':g': { S: group } },
        ScanIndexForward: false,
        ConsistentRead: true,
        ...(limit ? { Limit: limit } : {}),
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    )) as QueryCommandOutput;
    items.push(...(out.Items ?? []));
    start = limit ? undefined : out.LastEvaluatedKey;
  } while (start);
  return items;
}

beforeAll(async () => {
  await ensureTables(client, tables);
});
afterAll(() => client.destroy());

describe('audit items of restores over many partitions', () => {
  // 820: the plan fitted the item but plan + result did not (the result was lost after the commit).
  it.each([
    820, 3000, 10000,
  ])('a restore of %i partitions is audited whole and its undo puts every offset back', async (partitions) => {
    // Prepare
    const group = uniqueName(`g-big-${partitions}`);
    const topic = largeTopic({ group, partitions });
    const before = new Map(topic.committed);
    const request = { group, topic: topic.topic, requestedBy: 'oncall', execute: true };

    // Act
    const restore = await runRestore({ ...request, strategy: 'checkpoint' }, topic.deps(audit));
    const record = await audit.find(restore.plan.restoreId);
    const undo = await runRestore(
      { ...request, strategy: 'undo', undoes: restore.plan.restoreId },
      topic.deps(audit),
    );

    // Assess
    expect([restore.result?.status, restore.result?.audit]).toEqual(['succeeded', 'written']);
    expect(record?.status).toBe('succeeded');
    expect(record?.plan).toEqual(restore.plan);
    expect(record?.result).toEqual(restore.result);
    expect([undo.result?.status, undo.result?.audit]).toEqual(['succeeded', 'written']);
    expect(undo.plan.rows).toHaveLength(partitions);
    expect(topic.committed).toEqual(before);
    const undone = await audit.find(undo.plan.restoreId);
    expect([undone?.status, undone?.plan.undoes, undone?.result?.applied.length]).toEqual([
      'succeeded',
      restore.plan.restoreId,
      partitions,
    ]);
  });

  it('refuses a plan too large even compressed with AuditTooLargeError, before anything is written or committed', async () => {
    // Prepare: 40,000 partitions, ~4.2 MB gzipped, more than one transaction carries.
    const group = uniqueName('g-huge');
    const topic = largeTopic({ group, partitions: 40_000 });
    const before = new Map(topic.committed);
    const plan = await checkpointPlanOf(topic, group, randomUUID());

    // Act
    const refused = await audit.start(plan, new Date().toISOString()).catch((error: unknown) => error);
    const result = await executePlan(plan, topic.deps(audit));

    // Assess
    expect(refused).toBeInstanceOf(AuditTooLargeError);
    expect((refused as Error).message).toMatch(
      /40000 partition\(s\) .* MB compressed, .* nothing was changed\. Restore the topic in parts of at most \d+ partitions \(--partitions 0-\d+,/,
    );
    // Refused (exit 3) with the parts to run, not "failed" with advice about the table's permissions.
    expect([result.status, result.audit, result.applied]).toEqual(['refused', 'skipped', []]);
    expect(result.error?.message).toMatch(/^The plan of restore .* Restore the topic in parts of at most/);
    expect(topic.committed).toEqual(before);
    expect(await itemsOf(group)).toEqual([]);
  });

  it('keeps chunk items below every restore: the newest-first read of the group finds a running large restore', async () => {
    // Prepare: a finished large restore, then a large one still running.
    const group = uniqueName('g-watch');
    const topic = largeTopic({ group, partitions: 10_000 });
    const finished = await checkpointPlanOf(topic, group, randomUUID());
    const running = await checkpointPlanOf(topic, group, randomUUID());
    const key = await audit.start(finished, new Date(Date.now() - 60_000).toISOString());
    await audit.finish(key, succeededResult(finished, key.sk.split('#')[0]!, new Date().toISOString()));
    await audit.start(running, new Date().toISOString());

    // Act
    const newest = await itemsOf(group, 2);
    const active = await new AuditRestoreActivity(client, tables.audit, 600).running(group, Date.now());

    // Assess
    expect(newest.map((i) => [i.restoreId?.S, i.status?.S])).toEqual([
      [running.restoreId, 'running'],
      [finished.restoreId, 'succeeded'],
    ]);
    expect(active).toBe(true);
    const all = await itemsOf(group);
    expect(all.filter((i) => i.restoreId).length).toBe(2);
    expect(all.every((i) => i.restoreId || (i.sk?.S?.startsWith('#') && !i.status))).toBe(true);
  });

  it('reads and undoes an item written by the previous version (plan and result as JSON strings)', async () => {
    // Prepare: the attributes the previous start and finish wrote, as they wrote them.
    const group = uniqueName('g-old');
    const topic = largeTopic({ group, partitions: 3 });
    const plan = await planRestore(
      { group, topic: topic.topic, strategy: 'checkpoint', requestedBy: 'oncall' },
      topic.deps(audit),
    );
    const before = new Map(topic.committed);
    for (const r of plan.rows) topic.committed.set(r.partition, r.target!);
    const startedAt = '2026-11-22T11:24:37.175Z';
    const result = {
      restoreId: plan.restoreId,
      status: 'succeeded',
      startedAt,
      finishedAt: '2026-11-22T11:24:39.000Z',
      elapsedMs: 1825,
      applied: plan.rows.map((r) => ({ partition: r.partition, offset: r.target! })),
      verified: true,
      esm: null,
      epoch: null,
      audit: 'written',
      steps: ['+0.0s audit item written (running)'],
      error: null,
    };
    await client.send(
      new PutItemCommand({
        TableName: tables.audit,
        Item: {
          pk: { S: group },
          sk: { S: `${startedAt}#${plan.restoreId}` },
          restoreId: { S: plan.restoreId },
          topic: { S: plan.topic },
          strategy: { S: plan.strategy },
          mode: { S: plan.mode },
          requestedBy: { S: plan.requestedBy },
          startedAt: { S: startedAt },
          status: { S: 'succeeded' },
          plan: { S: JSON.stringify(plan) },
          finishedAt: { S: result.finishedAt },
          result: { S: JSON.stringify(result) },
        },
      }),
    );

    // Act
    const record = await audit.find(plan.restoreId);
    const undo = await runRestore(
      { group, topic: topic.topic, strategy: 'undo', undoes: plan.restoreId, execute: true },
      topic.deps(audit),
    );

    // Assess
    expect([record?.plan, record?.result, record?.status]).toEqual([plan, result, 'succeeded']);
    expect(undo.result?.status).toBe('succeeded');
    expect(topic.committed).toEqual(before);
  });

  it('refuses to undo from an item missing a chunk with AuditItemUnreadableError, changing nothing', async () => {
    // Prepare
    const group = uniqueName('g-torn');
    const topic = largeTopic({ group, partitions: 10_000 });
    const restore = await runRestore(
      { group, topic: topic.topic, strategy: 'checkpoint', execute: true },
      topic.deps(audit),
    );
    const chunk = (await itemsOf(group)).find((i) => i.sk?.S?.startsWith('#plan#'))!;
    await client.send(
      new DeleteItemCommand({ TableName: tables.audit, Key: { pk: chunk.pk!, sk: chunk.sk! } }),
    );
    const after = new Map(topic.committed);

    // Act
    const undo = runRestore(
      { group, topic: topic.topic, strategy: 'undo', undoes: restore.plan.restoreId, execute: true },
      topic.deps(audit),
    );

    // Assess
    await expect(undo).rejects.toBeInstanceOf(AuditItemUnreadableError);
    await expect(undo).rejects.toThrow(/is stored in 4 chunk item\(s\), but 3 were found/);
    expect(topic.committed).toEqual(after);
  });

  it('refuses to undo a restore whose item records no result without claiming it changed nothing', async () => {
    // Prepare: what a run stopped between its commit and the audit update leaves.
    const group = uniqueName('g-unfinished');
    const topic = largeTopic({ group, partitions: 3 });
    const plan = await planRestore(
      { group, topic: topic.topic, strategy: 'checkpoint', requestedBy: 'oncall' },
      topic.deps(audit),
    );
    await audit.start(plan, new Date().toISOString());

    // Act
    const undo = runRestore(
      { group, topic: topic.topic, strategy: 'undo', undoes: plan.restoreId, execute: true },
      topic.deps(audit),
    );

    // Assess
    await expect(undo).rejects.toThrow(
      new RegExp(
        `^Restore ${plan.restoreId} is running and its audit item records no result: .* possibly after ` +
          'committing offsets\\. .* Nothing was changed\\.',
      ),
    );
  });
});
