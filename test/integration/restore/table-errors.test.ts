// G6 (typed errors) for the checkpoint and audit tables of `mskguard restore` and of the restore
// function, with their real clients (the local broker, DynamoDB Local), as `mskguard status` reports
// it: a missing table is named with where it was looked for and how the caller names it
// (--checkpoint-table / --audit-table, or the function's MSKGUARD_CHECKPOINT_TABLE /
// MSKGUARD_AUDIT_TABLE), never a file that is not shipped; a DynamoDB that cannot be reached names
// the table, the endpoint and what to check.

import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRestoreClients } from '#shared/restore/clients.ts';
import { createRestoreHandler } from '#shared/restore/lambda.ts';
import { capturedRestoreIo, runRestore } from '#test/support/restore-cli.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const env = stackEnv();
const admin = new Kafka({ brokers: [env.KAFKA_BROKERS], logLevel: logLevel.NOTHING }).admin();
const topic = uniqueName('table-errors');
const group = uniqueName('g-table-errors');
const missing = uniqueName('no-such-checkpoints');
const missingAudit = uniqueName('no-such-audit');
const RESTORE_ID = '0b0f5f0e-5d7c-4a55-9d0b-1f0f3a7c2d11';

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
});
afterAll(() => admin.disconnect());

/** `mskguard restore checkpoint` of the test's group and topic, with `argv` added. */
function restore(...argv: string[]) {
  return cli('checkpoint', '--group', group, '--topic', topic, ...argv);
}

/** `mskguard restore ...argv` with the local stack's brokers and DynamoDB endpoint. */
async function cli(...argv: string[]) {
  const { out, io } = capturedRestoreIo(openRestoreClients, {
    KAFKA_BROKERS: env.KAFKA_BROKERS,
    DYNAMODB_ENDPOINT: env.DYNAMODB_ENDPOINT,
    USER: 'oncall',
  });
  const code = await runRestore(io, [...argv, '--region', 'us-east-1']);
  // Without the [restore] progress lines.
  return { code, stdout: out.stdout, stderr: out.stderr.replace(/^\[restore\].*\n/gm, '') };
}

describe('mskguard restore: the checkpoint table, as status reports it', () => {
  it('a missing table is named with the endpoint, and --checkpoint-table; exit 1', async () => {
    // Act
    const { code, stdout, stderr } = await restore('--checkpoint-table', missing);

    // Assess
    expect(code).toBe(1);
    expect(stderr).toBe(
      `TableAccessError: checkpoint table ${missing} not found in ${env.DYNAMODB_ENDPOINT}.\n` +
        'Deploy the stack that creates it, or name the right table with --checkpoint-table (or ' +
        'MSKGUARD_CHECKPOINT_TABLE) and --region.\n',
    );
    expect(stdout).toMatch(/^restore failed before planning/);
    expect(stderr).not.toMatch(/local\/tables\.ts/);
  });

  it('a DynamoDB that cannot be reached: the table, the endpoint and what to check; exit 1', async () => {
    // Act
    const { code, stderr } = await restore(
      '--checkpoint-table',
      missing,
      '--endpoint',
      'http://127.0.0.1:1',
      '--json',
    );

    // Assess
    expect(code).toBe(1);
    const [error, hint] = stderr.split('\n');
    expect(error).toMatch(
      new RegExp(
        `^TableAccessError: Cannot read checkpoint table ${missing} in http://127\\.0\\.0\\.1:1: .*ECONNREFUSED`,
      ),
    );
    expect(hint).toBe(
      'Check the AWS credentials, --region and --endpoint (or DYNAMODB_ENDPOINT), then retry.',
    );
  });
});

describe('mskguard restore undo: the audit table, as the checkpoint table', () => {
  const undo = (...argv: string[]) =>
    cli('undo', RESTORE_ID, '--group', group, '--topic', topic, '--audit-table', missingAudit, ...argv);

  it('a missing table is named with the endpoint, and --audit-table; exit 1', async () => {
    // Act
    const { code, stdout, stderr } = await undo();

    // Assess
    expect(code).toBe(1);
    expect(stderr).toBe(
      `TableAccessError: audit table ${missingAudit} not found in ${env.DYNAMODB_ENDPOINT}.\n` +
        'Deploy the stack that creates it, or name the right table with --audit-table (or ' +
        'MSKGUARD_AUDIT_TABLE) and --region.\n',
    );
    expect(stdout).toMatch(/^restore failed before planning/);
  });

  it('a DynamoDB that cannot be reached: the table, the endpoint and what to check, no generic line; exit 1', async () => {
    // Act
    const { code, stderr } = await undo('--endpoint', 'http://127.0.0.1:1');

    // Assess
    expect(code).toBe(1);
    const [error, hint, ...rest] = stderr.split('\n');
    expect(error).toMatch(
      new RegExp(
        `^TableAccessError: Cannot read audit table ${missingAudit} in http://127\\.0\\.0\\.1:1: .*ECONNREFUSED`,
      ),
    );
    expect(hint).toBe(
      'Check the AWS credentials, --region and --endpoint (or DYNAMODB_ENDPOINT), then retry.',
    );
    expect(rest).toEqual(['']);
  });
});

describe('restore function: the checkpoint table, in its own terms', () => {
  it("a missing table names the function's MSKGUARD_CHECKPOINT_TABLE, no flag", async () => {
    // Prepare
    const open: typeof openRestoreClients = (config) =>
      openRestoreClients({ ...config, dynamodbEndpoint: env.DYNAMODB_ENDPOINT });
    const handler = createRestoreHandler({
      brokers: [env.KAFKA_BROKERS],
      checkpointTable: missing,
      auditTable: 'unused',
      region: 'us-east-1',
      targets: null,
      logger: { info: () => {}, warn: () => {}, error: () => {} },
      openClients: open,
      metricsSink: () => {},
    });

    // Act
    const response = await handler({ group, topic, strategy: 'checkpoint' });

    // Assess
    expect(response).toMatchObject({
      exitCode: 1,
      error: {
        name: 'TableAccessError',
        message: `checkpoint table ${missing} not found in ${env.DYNAMODB_ENDPOINT}.`,
        hint: expect.stringMatching(/^Check the function's MSKGUARD_CHECKPOINT_TABLE environment variable/),
      },
    });
    expect(response.error?.hint).not.toMatch(/--/);
  });
});

describe('restore function: the audit table, in its own terms', () => {
  it("a missing table names the function's MSKGUARD_AUDIT_TABLE, no flag", async () => {
    // Prepare
    const open: typeof openRestoreClients = (config) =>
      openRestoreClients({ ...config, dynamodbEndpoint: env.DYNAMODB_ENDPOINT });
    const handler = createRestoreHandler({
      brokers: [env.KAFKA_BROKERS],
      checkpointTable: missing,
      auditTable: missingAudit,
      region: 'us-east-1',
      targets: null,
      logger: { info: () => {}, warn: () => {}, error: () => {} },
      openClients: open,
      metricsSink: () => {},
    });

    // Act
    const response = await handler({ group, topic, strategy: 'undo', undoes: RESTORE_ID });

    // Assess
    expect(response).toMatchObject({
      exitCode: 1,
      error: {
        name: 'TableAccessError',
        message: `audit table ${missingAudit} not found in ${env.DYNAMODB_ENDPOINT}.`,
        hint: expect.stringMatching(/^Check the function's MSKGUARD_AUDIT_TABLE environment variable/),
      },
    });
    expect(response.error?.hint).not.toMatch(/--/);
  });
});
