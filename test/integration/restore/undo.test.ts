// Design §11 (restores can be undone from their audit item) and G6 (typed errors, nothing
// changed): on the real broker and DynamoDB Local, `mskguard restore undo <restoreId>` plans the
// offsets the audit item recorded as committed before that restore, changes nothing without
// --execute, puts them back with --execute (ESM disabled and re-enabled: Lambda API mocked) and is
// audited itself; an unknown id, a restore of another group, and a restore that found no committed
// offsets are refused with typed errors.

import { randomUUID } from 'node:crypto';
import { QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import {
  GetEventSourceMappingCommand,
  LambdaClient,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '#shared/cli/command.ts';
import { createRestoreCommands, type RestoreCliIo } from '#shared/cli/commands/restore.ts';
import { openRestoreClients } from '#shared/restore/clients.ts';
import type { RestoreResponse } from '#shared/restore/engine.ts';
import { createRestoreHandler } from '#shared/restore/lambda.ts';
import { restoreFixture } from '#test/support/restore-fixture.ts';
import { uniqueName } from '#test/support/stack.ts';

const UUID = '6f1c2a4e-0b9d-4c1e-9a57-3f0d2e1b7c88';
const fx = restoreFixture('restore-undo');
const { env, ddb, tables, topic, commit, committed, advance, observer } = fx;
const lambda = mockClient(LambdaClient);

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
  const flags = [
    '--checkpoint-table',
    tables.checkpoints,
    '--audit-table',
    tables.audit,
    '--region',
    'us-east-1',
  ];
  const run = (...argv: string[]) => runCli(createRestoreCommands(io), ['restore', ...argv, ...flags]);
  return { out, run };
}

/** A group at [10, 10, 10] restored (executed, audited) to its checkpoints [4, 5, 6]; returns the restoreId. */
async function restored(group: string): Promise<string> {
  await advance(group, [4, 5, 6]);
  await commit(group, [10, 10, 10]);
  const { out, run } = cli();
  expect(await run('checkpoint', '--group', group, '--topic', topic, '--execute', '--json')).toBe(0);
  return (JSON.parse(out.stdout) as RestoreResponse).plan!.restoreId;
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
    strategy: i.strategy?.S,
    status: i.status?.S,
    undoes: i.undoes?.S,
  }));
}

beforeAll(async () => {
  await fx.open(3);
  await fx.produce(3, 60, Date.now() - 60_000);
});
afterEach(() => lambda.reset());
afterAll(() => fx.close());

describe('mskguard restore undo', () => {
  it('is a dry run by default: shows the offsets from before the restore and changes nothing', async () => {
    // Prepare
    const group = uniqueName('g-undo-dry');
    const restoreId = await restored(group);
    const { out, run } = cli();

    // Act
    const code = await run('undo', restoreId, '--group', group, '--topic', topic, '--json');

    // Assess
    const response = JSON.parse(out.stdout) as RestoreResponse;
    expect(code).toBe(0);
    expect(response.plan?.strategy).toBe('undo');
    expect(response.plan?.rows.map((r) => [r.committed, r.target, r.source])).toEqual([
      [4, 10, 'undo'],
      [5, 10, 'undo'],
      [6, 10, 'undo'],
    ]);
    expect(response.result).toBeNull();
    expect(await committed(group)).toEqual([4, 5, 6]);
  });

  it('--execute puts the offsets back around a disabled ESM and audits the undo', async () => {
    // Prepare
    const group = uniqueName('g-undo-exec');
    const restoreId = await restored(group);
    let states = lambda.on(GetEventSourceMappingCommand);
    for (const State of ['Enabled', 'Disabled', 'Enabled']) states = states.resolvesOnce({ State });
    lambda.on(UpdateEventSourceMappingCommand).resolves({});
    const { out, run } = cli();

    // Act
    const code = await run(
      'undo',
      restoreId,
      '--group',
      group,
      '--topic',
      topic,
      '--execute',
      '--esm-uuid',
      UUID,
      '--json',
    );

    // Assess
    const response = JSON.parse(out.stdout) as RestoreResponse;
    expect([code, response.result?.status, response.result?.verified]).toEqual([0, 'succeeded', true]);
    expect(lambda.commandCalls(UpdateEventSourceMappingCommand).map((c) => c.args[0].input.Enabled)).toEqual([
      false,
      true,
    ]);
    expect(await committed(group)).toEqual([10, 10, 10]);
    expect(await auditItems(group)).toEqual([
      { strategy: 'checkpoint', status: 'succeeded', undoes: undefined },
      { strategy: 'undo', status: 'succeeded', undoes: restoreId },
    ]);
  });

  it('refuses an unknown restoreId with UnknownRestoreIdError', async () => {
    // Prepare
    const group = uniqueName('g-undo-unknown');
    await commit(group, [3, 3, 3]);
    const { out, run } = cli();
    // A well-formed id (the CLI refuses a malformed one before reading the table) that no restore has.
    const unknown = randomUUID();

    // Act
    const code = await run('undo', unknown, '--group', group, '--topic', topic, '--execute');

    // Assess
    expect(code).toBe(2);
    expect(out.stderr).toMatch(new RegExp(`UnknownRestoreIdError: No audit item has restoreId ${unknown}`));
    expect(await committed(group)).toEqual([3, 3, 3]);
  });

  it('refuses the audit item of another group with AuditMismatchError', async () => {
    // Prepare
    const restoreId = await restored(uniqueName('g-undo-owner'));
    const other = uniqueName('g-undo-other');
    await commit(other, [3, 3, 3]);
    const { out, run } = cli();

    // Act
    const code = await run('undo', restoreId, '--group', other, '--topic', topic, '--execute');

    // Assess
    expect(code).toBe(3);
    expect(out.stderr).toMatch(
      /AuditMismatchError: Restore .* was of group g-undo-owner-.*, not g-undo-other/,
    );
    expect(await committed(other)).toEqual([3, 3, 3]);
  });

  it('refuses to undo a restore of lost offsets (nothing was committed before it)', async () => {
    // Prepare
    const group = uniqueName('g-undo-lost');
    await advance(group, [4, 5, 6]);
    await commit(group, [10, 10, 10]);
    await observer.deleteGroups([group]);
    const first = cli();
    await first.run('checkpoint', '--group', group, '--topic', topic, '--execute', '--json');
    const restoreId = (JSON.parse(first.out.stdout) as RestoreResponse).plan!.restoreId;
    const { out, run } = cli();

    // Act
    const code = await run('undo', restoreId, '--group', group, '--topic', topic, '--execute');

    // Assess
    expect(code).toBe(3);
    expect(out.stderr).toMatch(/UndoNotPossibleError: .*no committed offset on partition\(s\) 0, 1, 2/);
    expect(await committed(group)).toEqual([4, 5, 6]);
  });

  it('runs in the restore Lambda too: event {strategy: undo, undoes}', async () => {
    // Prepare
    const group = uniqueName('g-undo-lambda');
    const restoreId = await restored(group);
    const handler = createRestoreHandler({
      brokers: [env.KAFKA_BROKERS],
      checkpointTable: tables.checkpoints,
      auditTable: tables.audit,
      targets: null,
      region: 'us-east-1',
      logger: { info: () => {}, warn: () => {}, error: () => {} },
      openClients: (config) => openRestoreClients({ ...config, dynamodbEndpoint: env.DYNAMODB_ENDPOINT }),
    });

    // Act
    const response = await handler({ group, topic, strategy: 'undo', undoes: restoreId, execute: true });

    // Assess
    expect([response.exitCode, response.result?.status]).toEqual([0, 'succeeded']);
    expect(await committed(group)).toEqual([10, 10, 10]);
  });
});
