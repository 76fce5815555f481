// G6 (clear, typed errors): `mskguard restore` maps usage / refused / failed to distinct exit
// codes with the next step, prints help with examples, prints the same table from the restore
// Lambda's answer (--via-lambda), and the Lambda handler answers JSON, never throws.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '#shared/cli/command.ts';
import { createRestoreCommands, type RestoreCliIo } from '#shared/cli/commands/restore.ts';
import type { RestoreClients, RestoreClientsConfig } from '#shared/restore/clients.ts';
import type { RestoreResponse } from '#shared/restore/engine.ts';
import { MemoryCheckpointStore } from '#shared/testing/memory-checkpoint-store.ts';
import { capturedRestoreIo, fakeRestoreAdmin, UNUSED_CONSUMER_OFFSETS } from '#test/support/restore-cli.ts';
import { restoreLambda } from './lambda-fixtures.ts';

const lambda = mockClient(LambdaClient);
afterEach(() => lambda.reset());

function fakeClients(members = 0): (config: RestoreClientsConfig) => Promise<RestoreClients> {
  const admin = fakeRestoreAdmin(members);
  return async (config) => {
    const checkpoints = new MemoryCheckpointStore();
    await checkpoints.advance('g', [{ topic: 'orders', partition: 0, nextOffset: 42 }], {
      requestId: 'req',
      epoch: 0,
    });
    const deps = {
      admin,
      checkpoints,
      consumerOffsets: UNUSED_CONSUMER_OFFSETS,
      ...(config.progress ? { progress: config.progress } : {}),
    };
    return { deps, close: async () => {} };
  };
}

function io(env: NodeJS.ProcessEnv = {}, members = 0) {
  const { out, io: value } = capturedRestoreIo(fakeClients(members) as RestoreCliIo['openClients'], {
    MSKGUARD_CHECKPOINT_TABLE: 'ckpt',
    ...env,
  });
  return { out, value };
}

describe('mskguard restore (CLI)', () => {
  it('prints the dry-run table on stdout and a summary with the elapsed time; exit 0', async () => {
    // Prepare
    const { out, value } = io();

    // Act
    const code = await runCli(createRestoreCommands(value), [
      'restore',
      'checkpoint',
      '--group',
      'g',
      '--topic',
      'orders',
    ]);

    // Assess
    expect(code).toBe(0);
    expect(out.stdout).toMatch(/partition {2}committed {2}low\.\.high {2}target {2}delta {2}source/);
    expect(out.stdout).toMatch(/^\s+0\s+3\s+0\.\.50\s+42\s+\+39\s+checkpoint\s+checkpoint epoch 0/m);
    expect(out.stdout).toMatch(
      /dry run: 1 of 1 partition\(s\) would move; nothing was changed.* \(elapsed \d+ms\)$/m,
    );
    expect(out.stderr).toMatch(/\[restore\] reading the offsets/);
  });

  it('exits 3 when the dry run would be refused, and --json keeps stdout pure JSON', async () => {
    // Prepare
    const { out, value } = io({}, 1);

    // Act
    const code = await runCli(createRestoreCommands(value), [
      'restore',
      'checkpoint',
      '--group',
      'g',
      '--topic',
      'orders',
      '--json',
    ]);

    // Assess
    expect(code).toBe(3);
    const response = JSON.parse(out.stdout) as RestoreResponse;
    expect(response).toMatchObject({
      ok: false,
      exitCode: 3,
      plan: { requestedBy: 'alice', members: ['c@h'] },
    });
    expect(out.stderr).toMatch(/would be REFUSED/);
  });

  it.each([
    [['restore', 'checkpoint', '--topic', 'orders'], /^Missing --group ID\.$/m],
    [['restore', 'history', '--group', 'g', '--topic', 'orders'], /Strategy history needs --at/],
    [['restore', 'latest', '--group', 'g'], /Unknown strategy latest/],
    [['restore', 'auto', '--group', 'g', '--topic', 'orders', '--at', '-2h'], /argument is ambiguous/],
    [['restore', 'auto', '--group', 'g', '--topic', 'orders', '--execute'], /--execute needs --audit-table/],
  ])('exits 2 with the message and a pointer to --help (not the help itself) for %j', async (argv, message) => {
    // Prepare
    const { value } = io();
    let stderr = '';
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((t: string) => {
      stderr += t;
      return true;
    }) as typeof process.stderr.write;

    // Act
    const code = await runCli(createRestoreCommands(value), argv).finally(() => {
      process.stderr.write = write;
    });

    // Assess
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toMatch(/^Run 'mskguard restore[\w -]* --help' for usage\.$/m);
    expect(stderr).not.toMatch(/Usage: mskguard restore/);
  });

  it('prints help with examples for every strategy', async () => {
    // Prepare
    let stdout = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((t: string) => {
      stdout += t;
      return true;
    }) as typeof process.stdout.write;

    // Act
    const codes: number[] = [];
    try {
      for (const s of ['checkpoint', 'history', 'timestamp', 'consumer-offsets', 'auto']) {
        codes.push(await runCli(createRestoreCommands(io().value), ['restore', s, '--help']));
      }
    } finally {
      process.stdout.write = write;
    }

    // Assess
    expect(codes).toEqual([0, 0, 0, 0, 0]);
    expect(stdout.match(/Examples:/g)).toHaveLength(5);
    expect(stdout).toMatch(/reprocess: also bumps the group's dedup epoch/);
  });

  it('--via-lambda invokes the function and prints the same table from its answer', async () => {
    // Prepare: the answer comes from the real handler on fake clients.
    const handler = restoreLambda(fakeClients());
    const answer = await handler(
      { group: 'g', topic: 'orders', strategy: 'checkpoint' },
      { functionName: 'restore' },
    );
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: Buffer.from(JSON.stringify(answer)) as never });
    const { out, value } = io();

    // Act
    const code = await runCli(createRestoreCommands(value), [
      'restore',
      'checkpoint',
      '--group',
      'g',
      '--topic',
      'orders',
      '--via-lambda',
      'mskguard-restore',
      '--region',
      'eu-west-1',
    ]);

    // Assess
    expect(code).toBe(0);
    const sent = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(sent?.FunctionName).toBe('mskguard-restore');
    expect(JSON.parse(Buffer.from(sent?.Payload as Uint8Array).toString())).toMatchObject({
      group: 'g',
      requestedBy: 'alice',
    });
    expect(out.stdout).toMatch(/^\s+0\s+3\s+0\.\.50\s+42\s+\+39\s+checkpoint/m);
  });

  it('--via-lambda reports a function error as a failure with exit 1', async () => {
    // Prepare
    const payload = JSON.stringify({ errorType: 'Runtime.ImportModuleError', errorMessage: 'boom' });
    lambda.on(InvokeCommand).resolves({ FunctionError: 'Unhandled', Payload: Buffer.from(payload) as never });
    const { out, value } = io();

    // Act
    const code = await runCli(createRestoreCommands(value), [
      'restore',
      'auto',
      '--group',
      'g',
      '--topic',
      'orders',
      '--via-lambda',
      'f',
      '--region',
      'eu-west-1',
    ]);

    // Assess
    expect(code).toBe(1);
    expect(out.stderr).toMatch(/f failed \(Unhandled\): Runtime.ImportModuleError: boom/);
  });
});

describe('restore Lambda handler', () => {
  const logger = { info: () => {}, warn: () => {}, error: () => {} };
  const targets = [
    { consumerGroupId: 'g', topic: 'orders', eventSourceMappingId: '6f1c2a4e-0b9d-4c1e-9a57-3f0d2e1b7c88' },
  ];

  it('answers a usage error as JSON with exit code 2 instead of throwing', async () => {
    // Prepare
    const handler = restoreLambda(fakeClients(), { targets, logger });

    // Act
    const response = await handler({ group: 'g', strategy: 'auto' });

    // Assess
    expect(response).toMatchObject({
      ok: false,
      exitCode: 2,
      error: { kind: 'usage', message: 'Missing topic.' },
    });
  });

  it('refuses a group it does not own, and fills in the target ESM for one it owns', async () => {
    // Prepare
    const handler = restoreLambda(fakeClients(), { targets, logger });

    // Act
    const foreign = await handler({ group: 'other', topic: 'orders', strategy: 'checkpoint' });
    const own = await handler(
      { group: 'g', topic: 'orders', strategy: 'checkpoint' },
      { functionName: 'fn' },
    );

    // Assess
    expect(foreign).toMatchObject({
      exitCode: 3,
      error: {
        kind: 'refused',
        message: expect.stringMatching(/may not restore other\/orders; it restores: g\/orders/),
      },
    });
    expect(own.plan).toMatchObject({ esmUuid: targets[0]?.eventSourceMappingId, requestedBy: 'lambda:fn' });
  });
});
