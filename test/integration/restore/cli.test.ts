// Design §1 "Lost offsets" end to end through `mskguard restore`: the CLI with its real clients
// (kafkajs admin on the local broker, DynamoCheckpointStore and the audit table on DynamoDB
// Local; the Lambda API mocked) restores a 12-partition group after its offsets were deleted,
// prints a dry-run table that changes nothing, and exits 3 when refused. The 12-partition run's
// duration is printed for the record ([measure] on stderr), never asserted.

import { QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import {
  GetEventSourceMappingCommand,
  LambdaClient,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '#shared/cli/command.ts';
import { createRestoreCommands, type RestoreCliIo } from '#shared/cli/commands/restore.ts';
import { openRestoreClients } from '#shared/restore/clients.ts';
import type { RestoreResponse } from '#shared/restore/engine.ts';
import { restoreFixture } from '#test/support/restore-fixture.ts';
import { uniqueName } from '#test/support/stack.ts';

const UUID = '6f1c2a4e-0b9d-4c1e-9a57-3f0d2e1b7c88';
const PARTITIONS = 12;
const fx = restoreFixture('restore-cli');
const { env, kafka, observer, ddb, tables, checkpoints, topic, commit, committed } = fx;
const lambda = mockClient(LambdaClient);
const targets = Array.from({ length: PARTITIONS }, (_, p) => 5 + p);

function cli() {
  const out = { stdout: '', stderr: '' };
  const io: RestoreCliIo = {
    stdout: (t) => {
      out.stdout += t;
    },
    stderr: (t) => {
      out.stderr += t;
    },
    env: { KAFKA_BROKERS: env.KAFKA_BROKERS, DYNAMODB_ENDPOINT: env.DYNAMODB_ENDPOINT, USER: 'oncall' },
    openClients: openRestoreClients,
    lambda: () => new LambdaClient({ region: 'us-east-1' }),
  };
  const tableFlags = [
    '--checkpoint-table',
    tables.checkpoints,
    '--audit-table',
    tables.audit,
    '--region',
    'us-east-1',
  ];
  const run = (...argv: string[]) => runCli(createRestoreCommands(io), ['restore', ...argv, ...tableFlags]);
  return { out, run };
}

async function groupWithCheckpoints(): Promise<string> {
  const group = uniqueName('g-cli');
  await fx.advance(group, targets, 'seed');
  await commit(group, targets);
  return group;
}

beforeAll(async () => {
  await fx.open(PARTITIONS);
  await fx.produce(PARTITIONS, PARTITIONS * 20, Date.now());
});
afterAll(() => fx.close());

describe('mskguard restore on the local stack', () => {
  it('restores a 12-partition group after its offsets were deleted (--execute, mocked ESM) and audits it', async () => {
    // Prepare
    const group = await groupWithCheckpoints();
    await observer.deleteGroups([group]);
    const lost = await committed(group);
    lambda.reset();
    let states = lambda.on(GetEventSourceMappingCommand);
    for (const State of ['Enabled', 'Disabled', 'Enabled']) states = states.resolvesOnce({ State });
    lambda.on(UpdateEventSourceMappingCommand).resolves({});
    const { out, run } = cli();

    // Act
    const started = performance.now();
    const code = await run(
      'checkpoint',
      '--group',
      group,
      '--topic',
      topic,
      '--execute',
      '--esm-uuid',
      UUID,
      '--json',
    );
    const wallMs = Math.round(performance.now() - started);

    // Assess
    const response = JSON.parse(out.stdout) as RestoreResponse;
    expect(lost).toEqual(Array(PARTITIONS).fill(-1));
    expect([code, response.result?.status, response.result?.verified]).toEqual([0, 'succeeded', true]);
    expect(lambda.commandCalls(UpdateEventSourceMappingCommand).map((c) => c.args[0].input.Enabled)).toEqual([
      false,
      true,
    ]);
    expect(await committed(group)).toEqual(targets);
    const audit = (await ddb.send(
      new QueryCommand({
        TableName: tables.audit,
        KeyConditionExpression: 'pk = :g',
        ExpressionAttributeValues: { ':g': { S: group } },
      }),
    )) as QueryCommandOutput;
    expect(audit.Items?.map((i) => [i.status?.S, i.requestedBy?.S])).toEqual([['succeeded', 'oncall']]);
    process.stderr.write(
      `[measure] executed restore of ${PARTITIONS} partitions: ${wallMs} ms CLI wall time (connect, plan, execute), ` +
        `${response.result?.elapsedMs} ms execution (ESM mocked; ${response.result?.steps.length} steps)\n`,
    );
  });

  it('prints a dry-run table for auto and changes nothing', async () => {
    // Prepare
    const group = await groupWithCheckpoints();
    await commit(group, Array(PARTITIONS).fill(20));
    const before = await committed(group);
    const { out, run } = cli();

    // Act
    const code = await run('auto', '--group', group, '--topic', topic, '--at=-10m');

    // Assess
    expect(code).toBe(0);
    expect(out.stdout).toMatch(/^\s+11\s+20\s+0\.\.20\s+16\s+-4\s+checkpoint/m);
    expect(out.stdout).toMatch(/partition\(s\) 0-11: checkpoint chosen/);
    expect(out.stdout).toMatch(/dry run: 12 of 12 partition\(s\) would move; nothing was changed/);
    expect(await committed(group)).toEqual(before);
  });

  it('exits 3 and changes nothing while a consumer is active in the group', async () => {
    // Prepare
    const group = await groupWithCheckpoints();
    const consumer = kafka.consumer({
      groupId: group,
      sessionTimeout: 6000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 100,
    });
    await consumer.connect();
    await consumer.subscribe({ topic });
    await consumer.run({ autoCommit: false, eachBatch: async () => {} });
    await checkpoints.advance(
      group,
      targets.map((o, partition) => ({ topic, partition, nextOffset: o + 1 })),
      { requestId: 'later', epoch: 0 },
    );
    const { out, run } = cli();

    // Act
    const code = await run('checkpoint', '--group', group, '--topic', topic, '--execute').finally(() =>
      consumer.disconnect(),
    );

    // Assess
    expect(code).toBe(3);
    expect(out.stdout).toMatch(
      /RestoreRefusedError: Restore refused, nothing was changed: group has 1 active member\(s\)/,
    );
    expect(out.stdout).toMatch(/pass --esm-uuid so the restore disables the event source mapping/);
    expect(await committed(group)).toEqual(targets);
  });
});
