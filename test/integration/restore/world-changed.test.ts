// A restore while the world moves under it, on the real broker and DynamoDB Local (the Lambda API
// mocked with aws-sdk-client-mock, since it cannot run here): an operator disabling the mapping,
// retention deleting a target after the plan, partitions added before an undo.

import {
  GetEventSourceMappingCommand,
  LambdaClient,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditStore } from '#shared/restore/audit.ts';
import { KafkaConsumerOffsetsReader } from '#shared/restore/consumer-offsets-reader.ts';
import { type RestoreDeps, runRestore } from '#shared/restore/engine.ts';
import { TargetOutOfRangeError } from '#shared/restore/errors.ts';
import { EventSourceMappingToggle } from '#shared/restore/esm.ts';
import { executePlan } from '#shared/restore/execute.ts';
import { directOffsetWriter } from '#shared/restore/offset-commit.ts';
import { planRestore } from '#shared/restore/plan.ts';
import { restoreFixture } from '#test/support/restore-fixture.ts';
import { uniqueName } from '#test/support/stack.ts';

const UUID = '0b6e9d1c-3f2a-4c8e-9d71-5a4b3c2d1e0f';
const fx = restoreFixture('restore-world');
const { kafka, admin, ddb, tables, topic, commit, committed, advance } = fx;
const lambda = mockClient(LambdaClient);
const offsets = directOffsetWriter(kafka);
const deps: RestoreDeps = {
  admin,
  offsets,
  checkpoints: fx.checkpoints,
  consumerOffsets: new KafkaConsumerOffsetsReader(kafka, admin),
  audit: new DynamoAuditStore(ddb, tables.audit),
  esm: new EventSourceMappingToggle(new LambdaClient({ region: 'us-east-1' }), {
    pollMs: 10,
    timeoutMs: 3000,
  }),
  groupPollMs: 100,
  groupEmptyTimeoutMs: 2000,
};
const updates = () =>
  lambda.commandCalls(UpdateEventSourceMappingCommand).map((c) => c.args[0].input.Enabled);
function esmStates(...states: string[]): void {
  let chain = lambda.on(GetEventSourceMappingCommand);
  for (const State of states) chain = chain.resolvesOnce({ State });
  chain.resolves({ State: states[states.length - 1] ?? 'Enabled' });
}

beforeAll(async () => {
  await fx.open(2);
  await fx.produce(2, 40, Date.now() - 3_600_000);
  await admin.fetchTopicMetadata({ topics: [topic] });
});
afterEach(() => lambda.reset());
afterAll(async () => {
  await offsets.close();
  await fx.close();
});

describe('restore review: the ESM', () => {
  it('does not turn on a mapping someone else was disabling when the restore started', async () => {
    // Prepare: an operator disabled the mapping (it is still Disabling) before the restore runs.
    const group = uniqueName('g-rev-esm');
    await advance(group, [6, 6]);
    await commit(group, [9, 9]);
    esmStates('Disabling', 'Disabled');
    lambda.on(UpdateEventSourceMappingCommand).resolves({});

    // Act
    const { result } = await runRestore(
      { group, topic, strategy: 'checkpoint', execute: true, esmUuid: UUID, requestedBy: 'review' },
      deps,
    );

    // Assess: restored, and the mapping is left as the operator wanted it (never Enabled=true).
    expect(result?.status).toBe('succeeded');
    expect(await committed(group)).toEqual([6, 6]);
    expect(updates()).not.toContain(true);
    expect(result?.esm).toMatchObject({
      initialState: 'Disabling',
      disabledByRestore: false,
      reenabled: false,
    });
  });
});

describe('restore review: [low, high] when the plan is executed', () => {
  it('refuses, typed and with nothing written, a target retention deleted after the plan was made', async () => {
    // Prepare: the plan sees partition 1 from low 0, so target 6 is in range ...
    const group = uniqueName('g-rev-range');
    await advance(group, [6, 6]);
    await commit(group, [9, 9]);
    const plan = await planRestore({ group, topic, strategy: 'checkpoint', requestedBy: 'review' }, deps);
    expect(plan.refusals).toEqual([]);
    // ... then retention deletes partition 1 below 10 while the ESM is being disabled.
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 1, offset: '10' }] });

    // Act
    const result = await executePlan(plan, deps);

    // Assess: not a silent commit below the log start (the consumer would reset to earliest/latest).
    expect(result.status).toBe('refused');
    expect(result.error?.name).toBe(TargetOutOfRangeError.name);
    expect(result.error?.message).toMatch(/partition 1: target 6 < low 10.*plan again/);
    expect(result.applied).toEqual([]);
    expect(await committed(group)).toEqual([9, 9]);
  });
});

describe('restore review: undo after the topic grew', () => {
  it('undoes the partitions the restore moved and leaves a partition added since alone', async () => {
    // Prepare: a restore of the 2-partition topic, then a third partition is added.
    const group = uniqueName('g-rev-undo');
    // (Partition 1's log starts at 10 since the case above.)
    await advance(group, [15, 15]);
    await commit(group, [12, 12]);
    const { result } = await runRestore(
      { group, topic, strategy: 'checkpoint', execute: true, requestedBy: 'review' },
      deps,
    );
    expect(result?.status).toBe('succeeded');
    await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] });

    // Act
    const undo = await runRestore(
      { group, topic, strategy: 'undo', undoes: result!.restoreId, execute: true, requestedBy: 'review' },
      deps,
    );

    // Assess
    expect(undo.result?.status).toBe('succeeded');
    expect((await committed(group)).slice(0, 2)).toEqual([12, 12]);
    expect(undo.plan.warnings.join('\n')).toMatch(/partition\(s\) 2 .*added .*since/);
  });
});
