// Design §1 "Lost offsets" and §7: a group's offsets are lost for real on the local broker
// (group deleted, reset to earliest, moved to latest) and every strategy puts them back; each
// result is read back with a separate admin client. Checkpoints live in DynamoDB Local
// (DynamoCheckpointStore); commits are made by real kafkajs consumers.
import { setTimeout as sleep } from 'node:timers/promises';
import { QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditStore } from '#shared/restore/audit.ts';
import { KafkaConsumerOffsetsReader } from '#shared/restore/consumer-offsets-reader.ts';
import { type RestoreDeps, runRestore } from '#shared/restore/engine.ts';
import { directOffsetWriter } from '#shared/restore/offset-commit.ts';
import type { RestoreRequest } from '#shared/restore/types.ts';
import { restoreFixture } from '#test/support/restore-fixture.ts';
import { uniqueName } from '#test/support/stack.ts';

const fx = restoreFixture('restore-strategies');
const { kafka, admin, ddb, tables, checkpoints, topic, commit, committed, advance } = fx;
const PARTITIONS = 3;
const PER_PARTITION = 10;
/** Record i of every partition is produced with timestamp BASE + i seconds. */
const BASE = Date.now() - 3_600_000;
const offsets = directOffsetWriter(kafka);
const deps: RestoreDeps = {
  admin,
  offsets,
  checkpoints,
  consumerOffsets: new KafkaConsumerOffsetsReader(kafka, admin),
  audit: new DynamoAuditStore(ddb, tables.audit),
};

const restore = (group: string, r: Partial<RestoreRequest>) =>
  runRestore({ group, topic, strategy: 'checkpoint', execute: true, requestedBy: 'it', ...r }, deps);
beforeAll(async () => {
  await fx.open(PARTITIONS);
  await fx.produce(PARTITIONS, PARTITIONS * PER_PARTITION, BASE);
});

afterAll(async () => {
  await offsets.close();
  await fx.close();
});

describe('restore checkpoint', () => {
  it('puts back the checkpoints after the group was deleted, and audits the run', async () => {
    // Prepare
    const group = uniqueName('g-ckpt');
    await commit(group, [7, 8, 9]);
    await advance(group, [7, 8, 9]);
    await admin.deleteGroups([group]);
    const lost = await committed(group);

    // Act
    const { result } = await restore(group, {});

    // Assess
    expect(lost).toEqual([-1, -1, -1]);
    expect(result?.status).toBe('succeeded');
    expect(await committed(group)).toEqual([7, 8, 9]);
    const audit = (await ddb.send(
      new QueryCommand({
        TableName: tables.audit,
        KeyConditionExpression: 'pk = :g',
        ExpressionAttributeValues: { ':g': { S: group } },
      }),
    )) as QueryCommandOutput;
    expect(
      audit.Items?.map((i) => [i.status?.S, i.requestedBy?.S, i.sk?.S?.endsWith(`#${result?.restoreId}`)]),
    ).toEqual([['succeeded', 'it', true]]);
  });
});

describe('restore history --at', () => {
  it('puts back the checkpoints as of T after the offsets were moved to latest', async () => {
    // Prepare
    const group = uniqueName('g-hist');
    await advance(group, [3, 4, 5]);
    await sleep(30);
    const at = new Date().toISOString();
    await sleep(30);
    await advance(group, [6, 6, 6]);
    await commit(group, [PER_PARTITION, PER_PARTITION, PER_PARTITION]);

    // Act
    const { result } = await restore(group, { strategy: 'history', at });

    // Assess
    expect(result?.status).toBe('succeeded');
    expect(await committed(group)).toEqual([3, 4, 5]);
  });
});

describe('restore timestamp --at', () => {
  it('puts back the first offsets at or after T after the offsets were reset to earliest', async () => {
    // Prepare
    const group = uniqueName('g-time');
    await commit(group, [8, 8, 8]);
    await commit(group, [0, 0, 0]);

    // Act
    const { plan, result } = await restore(group, {
      strategy: 'timestamp',
      at: new Date(BASE + 6000).toISOString(),
    });

    // Assess
    expect(plan.rows.map((r) => r.detail)).toEqual(
      Array(3).fill(`first record at or after ${new Date(BASE + 6000).toISOString()}`),
    );
    expect(result?.status).toBe('succeeded');
    expect(await committed(group)).toEqual([6, 6, 6]);
  });
});

describe('restore consumer-offsets', () => {
  it("puts back the group's last commits from __consumer_offsets after the group was deleted", async () => {
    // Prepare
    const group = uniqueName('g-co');
    await commit(group, [2, 3, 4]);
    await commit(group, [5, 6, 7]);
    await admin.deleteGroups([group]);

    // Act
    const { plan, result } = await restore(group, { strategy: 'consumer-offsets' });

    // Assess
    expect(plan.rows.map((r) => r.source)).toEqual([
      'consumer-offsets',
      'consumer-offsets',
      'consumer-offsets',
    ]);
    expect(result?.status).toBe('succeeded');
    expect(await committed(group)).toEqual([5, 6, 7]);
  });

  it('takes the last commit at or before --at, not the later wrong one', async () => {
    // Prepare
    const group = uniqueName('g-co-at');
    await commit(group, [4, 4, 4]);
    await sleep(50);
    const at = new Date().toISOString();
    await sleep(50);
    await commit(group, [PER_PARTITION, PER_PARTITION, PER_PARTITION]);

    // Act
    const { result } = await restore(group, { strategy: 'consumer-offsets', at });

    // Assess
    expect(result?.status).toBe('succeeded');
    expect(await committed(group)).toEqual([4, 4, 4]);
  });
});

describe('restore auto', () => {
  it('combines sources per partition after the group was deleted and says why', async () => {
    // Prepare: checkpoints only for partition 0; commits for 0 and 1; partition 2 only has time.
    const group = uniqueName('g-auto');
    await checkpoints.advance(group, [{ topic, partition: 0, nextOffset: 9 }], { requestId: 'r', epoch: 0 });
    const consumer = kafka.consumer({
      groupId: group,
      sessionTimeout: 6000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 100,
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatch: async () => {} });
    consumer.pause([{ topic }]);
    await consumer.commitOffsets([0, 1].map((partition) => ({ topic, partition, offset: '5' })));
    await consumer.disconnect();
    await sleep(50);
    const at = new Date().toISOString();
    await admin.deleteGroups([group]);

    // Act
    const { plan, result } = await restore(group, { strategy: 'auto', at });

    // Assess
    expect(plan.rows.map((r) => [r.source, r.target])).toEqual([
      ['checkpoint', 9],
      ['consumer-offsets', 5],
      ['timestamp', PER_PARTITION],
    ]);
    const p2 = plan.considered.filter((c) => c.partition === 2).map((c) => `${c.source}:${c.verdict}`);
    expect(p2).toEqual([
      'checkpoint:rejected',
      'history:rejected',
      'consumer-offsets:rejected',
      'timestamp:chosen',
    ]);
    expect(result?.status).toBe('succeeded');
    expect(await committed(group)).toEqual([9, 5, PER_PARTITION]);
  });
});
