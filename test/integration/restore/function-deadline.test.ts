// Design §7, G6: the restore function refuses a run whose remaining time cannot hold the work and the
// time kept to re-enable the event source mapping, before it touches the mapping. Without that, a
// function with a 70 s timeout (or one started late) disabled the mapping, gave up on a wait cut to
// nothing and turned it back on: the consumer stalled for nothing and the answer blamed the mapping.
// Real broker and DynamoDB Local (offsets, audit item); only the Lambda API is mocked.

import { QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import {
  GetEventSourceMappingCommand,
  LambdaClient,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openRestoreClients } from '#shared/restore/clients.ts';
import { MIN_WORK_MS, REENABLE_RESERVE_MS } from '#shared/restore/deadline.ts';
import { ANSWER_RESERVE_MS, createRestoreHandler } from '#shared/restore/lambda.ts';
import type { RestoreResult } from '#shared/restore/types.ts';
import { restoreFixture } from '#test/support/restore-fixture.ts';
import { uniqueName } from '#test/support/stack.ts';

const UUID = '6f1c2a4e-0b9d-4c1e-9a57-3f0d2e1b7c88';
const fx = restoreFixture('restore-deadline');
const { env, ddb, tables, topic, commit, committed, advance } = fx;
const lambda = mockClient(LambdaClient);

/** The least remaining time (as Lambda reports it) the function runs a restore with. */
const NEEDED_MS = ANSWER_RESERVE_MS + REENABLE_RESERVE_MS + MIN_WORK_MS;

/**
 * A mapping that follows its updates: `Enabled` until disabled, then `afterDisable` (a Kafka ESM
 * stays `Disabling` for tens of seconds), `Enabled` again once enabled.
 */
function mapping(afterDisable: 'Disabling' | 'Disabled'): void {
  let state = 'Enabled';
  lambda.on(GetEventSourceMappingCommand).callsFake(() => ({ State: state }));
  lambda.on(UpdateEventSourceMappingCommand).callsFake((input: { Enabled?: boolean }) => {
    state = input.Enabled ? 'Enabled' : afterDisable;
    return {};
  });
}

const updates = () =>
  lambda.commandCalls(UpdateEventSourceMappingCommand).map((c) => c.args[0].input.Enabled);

/** The restore function of `group`, wired to the local stack as functions/restore.ts wires it. */
function restoreFunction(group: string) {
  return createRestoreHandler({
    brokers: [env.KAFKA_BROKERS],
    checkpointTable: tables.checkpoints,
    auditTable: tables.audit,
    targets: [{ consumerGroupId: group, topic, eventSourceMappingId: UUID }],
    region: 'us-east-1',
    logger: { info: () => {}, warn: () => {}, error: () => {} },
    openClients: (config) => openRestoreClients({ ...config, dynamodbEndpoint: env.DYNAMODB_ENDPOINT }),
    metricsSink: () => {},
  });
}

/** A group committed at [10, 10, 10] whose checkpoints say [4, 5, 6]. */
async function prepared(): Promise<string> {
  const group = uniqueName('g-deadline');
  await advance(group, [4, 5, 6]);
  await commit(group, [10, 10, 10]);
  return group;
}

async function auditItems(group: string) {
  const out = (await ddb.send(
    new QueryCommand({
      TableName: tables.audit,
      KeyConditionExpression: 'pk = :g',
      ExpressionAttributeValues: { ':g': { S: group } },
    }),
  )) as QueryCommandOutput;
  return (out.Items ?? []).map((i) => ({
    status: i.status?.S,
    result: i.result?.S ? (JSON.parse(i.result.S) as RestoreResult) : null,
  }));
}

beforeAll(async () => {
  await fx.open(3);
  await fx.produce(3, 60, Date.now() - 60_000);
});
afterEach(() => lambda.reset());
afterAll(() => fx.close());

describe('restore function with too little time left', () => {
  it.each([
    ['a 70 s function timeout', 69_000],
    ['a 15 min timeout started late', NEEDED_MS - 1],
  ])('refuses before touching the mapping (%s), audited, with what to change', async (_case, remaining) => {
    // Prepare: a mapping that takes longer to disable than the run could wait.
    const group = await prepared();
    mapping('Disabling');
    const handler = restoreFunction(group);

    // Act
    const response = await handler(
      { group, topic, strategy: 'checkpoint', execute: true },
      { functionName: 'restore', getRemainingTimeInMillis: () => remaining },
    );

    // Assess: refused (exit 3), the mapping never updated, the offsets untouched.
    expect([response.exitCode, response.result?.status]).toEqual([3, 'refused']);
    expect(response.error?.name).toBe('RestoreDeadlineError');
    expect(response.error?.message).toMatch(
      /^Restore refused before disabling event source mapping .*nothing was changed.*Raise the restore function's timeout/,
    );
    // 15 minutes is Lambda's maximum: a function that already has it (the late start) must be told
    // what else to do, not only to raise a timeout that cannot go higher.
    expect(response.error?.message).toMatch(
      /15 minutes is Lambda's maximum: .* run the restore from the CLI \(mskguard restore .* --execute, no deadline\)/,
    );
    expect(updates()).toEqual([]);
    expect(response.result?.esm).toMatchObject({
      disabledByRestore: false,
      reenabled: false,
      leftDisabled: false,
    });
    expect(await committed(group)).toEqual([10, 10, 10]);
    const [item, ...more] = await auditItems(group);
    expect(more).toEqual([]);
    expect(item?.status).toBe('refused');
    expect(item?.result?.error?.message).toMatch(/Raise the restore function's timeout/);
  });

  it('runs the restore when the time left holds the work and the re-enable reserve', async () => {
    // Prepare: exactly the least time; the mapping disables at once.
    const group = await prepared();
    mapping('Disabled');
    const handler = restoreFunction(group);

    // Act
    const response = await handler(
      { group, topic, strategy: 'checkpoint', execute: true },
      { functionName: 'restore', getRemainingTimeInMillis: () => NEEDED_MS },
    );

    // Assess
    expect([response.exitCode, response.result?.status, response.result?.verified]).toEqual([
      0,
      'succeeded',
      true,
    ]);
    expect(updates()).toEqual([false, true]);
    expect(await committed(group)).toEqual([4, 5, 6]);
    expect((await auditItems(group)).map((i) => i.status)).toEqual(['succeeded']);
  });
});
