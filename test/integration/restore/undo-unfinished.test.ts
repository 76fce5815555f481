// Decision 0025, addendum: `restore undo` of an audit item that records no result (the run stopped
// after its commit: a timeout, a killed Lambda) is refused, and the refusal carries the offsets the
// group had committed before that run. For a plan of more than ~500 partitions they are only in the
// gzipped chunk items, so the answer (`hint`, `.error.hint` with --json) is where the operator reads
// them: as the CSV `restore file --from-file` takes. The message stays short. DynamoDB Local for the
// audit table, the fake broker of large-topic-fixture.ts.

import { randomUUID } from 'node:crypto';
import { DynamoDBClient, QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '#local/services.ts';
import { ensureTables } from '#local/tables.ts';
import { DynamoAuditStore } from '#shared/restore/audit.ts';
import { runRestore, toResponse } from '#shared/restore/engine.ts';
import { UndoNotPossibleError } from '#shared/restore/errors.ts';
import { parseOffsetsCsv } from '#shared/restore/offsets-csv.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';
import { checkpointPlanOf, largeTopic } from './large-topic-fixture.ts';

const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: stackEnv().DYNAMODB_ENDPOINT });
const tables = { checkpoints: uniqueName('cp'), quarantine: uniqueName('q'), audit: uniqueName('a') };
const audit = new DynamoAuditStore(client, tables.audit);

/** The sort keys under the group's pk (its restores and their chunks). */
async function sortKeysOf(group: string): Promise<string[]> {
  const out = (await client.send(
    new QueryCommand({
      TableName: tables.audit,
      KeyConditionExpression: 'pk = :g',
      ExpressionAttributeValues: { ':g': { S: group } },
      ProjectionExpression: 'sk',
    }),
  )) as QueryCommandOutput;
  return (out.Items ?? []).map((i) => i.sk!.S!);
}

/** What `runRestore` threw (the refusal), or a failure when it did not throw. */
async function refusalOf(run: Promise<unknown>): Promise<Error> {
  const error = await run.then(
    () => new Error('the undo was not refused'),
    (e: unknown) => e as Error,
  );
  expect(error).toBeInstanceOf(UndoNotPossibleError);
  return error;
}

beforeAll(async () => {
  await ensureTables(client, tables);
});
afterAll(() => client.destroy());

describe('undo of a restore whose audit item records no result', () => {
  it('answers every offset from before a 10,000-partition run as CSV, and keeps the message short', async () => {
    // Prepare: what a run killed after its commit leaves: the item `running`, its plan in chunks.
    const group = uniqueName('g-killed');
    const topic = largeTopic({ group, partitions: 10_000 });
    const plan = await checkpointPlanOf(topic, group, randomUUID());
    await audit.start(plan, new Date().toISOString());
    for (const r of plan.rows) topic.committed.set(r.partition, r.target!);
    const after = new Map(topic.committed);
    const undo = { group, topic: topic.topic, strategy: 'undo' as const, undoes: plan.restoreId };

    // Act: the dry run, as an operator would run it first, and the --execute.
    const dryRun = await refusalOf(runRestore(undo, topic.deps(audit)));
    const executed = await refusalOf(runRestore({ ...undo, execute: true }, topic.deps(audit)));
    const answer = toResponse({ error: dryRun });

    // Assess
    expect((await sortKeysOf(group)).filter((sk) => sk.startsWith('#plan#')).length).toBeGreaterThan(1);
    expect(answer.exitCode).toBe(3);
    expect(answer.error?.hint?.split('\n')).toHaveLength(10_000);
    // `restore file --from-file` reads the hint as it is.
    expect(parseOffsetsCsv(answer.error!.hint!, { topic: topic.topic, group })).toEqual(
      plan.rows.map((r) => ({ partition: r.partition, offset: r.committed })),
    );
    expect(answer.error!.message).toMatch(
      new RegExp(
        `^Restore ${plan.restoreId} is running and its audit item records no result: .* possibly after ` +
          'committing offsets\\. .* Nothing was changed\\. Before it, the group had committed 10000 ' +
          'partition\\(s\\) \\(0-9999\\)\\. They follow as CSV lines .* --json \\| jq -r \\.error\\.hint > ' +
          `before\\.csv, then mskguard restore file --group ${group} --topic ${topic.topic} --from-file before\\.csv`,
      ),
    );
    expect(answer.error!.message.length).toBeLessThan(1200);
    expect(executed.message).toBe(dryRun.message);
    expect(topic.committed).toEqual(after);
  });

  it('prints a ready restore file --offsets command for a small plan, naming partitions without an offset', async () => {
    // Prepare: partition 1 had no committed offset before the run.
    const group = uniqueName('g-killed-small');
    const topic = largeTopic({ group, partitions: 3 });
    topic.committed.delete(1);
    const plan = await checkpointPlanOf(topic, group, randomUUID());
    await audit.start(plan, new Date().toISOString());
    const [p0, , p2] = plan.rows;

    // Act
    const refusal = await refusalOf(
      runRestore(
        { group, topic: topic.topic, strategy: 'undo', undoes: plan.restoreId, execute: true },
        topic.deps(audit),
      ),
    );

    // Assess
    expect(refusal.message).toContain(
      'Before it, the group had committed 2 partition(s) (0, 2); partition(s) 1 had no committed offset. ' +
        'Dry run, compare with the offsets now, then add --execute: ' +
        `mskguard restore file --group ${group} --topic ${topic.topic} --offsets 0=${p0!.committed},2=${p2!.committed}`,
    );
    expect(toResponse({ error: refusal }).error?.hint).toBe(
      `${topic.topic},0,${p0!.committed}\n${topic.topic},2,${p2!.committed}`,
    );
  });

  it('names the partitions of a partial restore, and restore file plans its CSV back to the offsets before it', async () => {
    // Prepare: a killed restore of partitions 0-59 of a 100-partition topic.
    const group = uniqueName('g-killed-part');
    const topic = largeTopic({ group, partitions: 100 });
    const whole = await checkpointPlanOf(topic, group, randomUUID());
    const partitions = Array.from({ length: 60 }, (_, p) => p);
    const plan = { ...whole, partitions, rows: whole.rows.slice(0, 60) };
    await audit.start(plan, new Date().toISOString());
    for (const r of plan.rows) topic.committed.set(r.partition, r.target!);

    // Act
    const refusal = await refusalOf(
      runRestore({ group, topic: topic.topic, strategy: 'undo', undoes: plan.restoreId }, topic.deps(audit)),
    );
    const hint = toResponse({ error: refusal }).error!.hint!;
    const file = await runRestore(
      {
        group,
        topic: topic.topic,
        strategy: 'file',
        offsets: parseOffsetsCsv(hint, { topic: topic.topic, group }),
        partitions,
      },
      topic.deps(audit),
    );

    // Assess
    expect(refusal.message).toContain(`committed 60 partition(s) (0-59). They follow as CSV lines`);
    expect(refusal.message).toContain(`--from-file before.csv --partitions 0-59 (a dry run;`);
    expect(file.plan.refusals).toEqual([]);
    expect(file.plan.rows.map((r) => [r.partition, r.target])).toEqual(
      plan.rows.map((r) => [r.partition, r.committed]),
    );
  });
});
