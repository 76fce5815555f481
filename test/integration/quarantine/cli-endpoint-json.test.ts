// G2 and G6 for `mskguard quarantine` with its real DynamoDB client, as restore and status behave:
// --endpoint alone reaches DynamoDB Local (no region, no credentials configured); --json answers
// list and replay (dry run and --execute) on stdout, and errors as {ok:false,exitCode,error}.
// Against DynamoDB Local and the real Kafka broker.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { LOCAL_AWS } from '#local/services.ts';
import { ensureTables } from '#local/tables.ts';
import { runCli } from '#shared/cli/command.ts';
import { createQuarantineCommands } from '#shared/cli/commands/quarantine.ts';
import { QuarantineStore } from '#shared/quarantine/store.ts';
import type { QuarantineInput } from '#shared/quarantine/types.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const env = stackEnv();
const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: env.DYNAMODB_ENDPOINT });
const admin = new Kafka({ brokers: [env.KAFKA_BROKERS], logLevel: logLevel.NOTHING }).admin();
const table = uniqueName('quarantine');
const topic = uniqueName('replay-json');
const group = uniqueName('orders-svc');

/** Runs the CLI in-process with its own DynamoDB and Kafka clients and an empty environment. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const seen = { stdout: '', stderr: '' };
  const commands = createQuarantineCommands({
    out: (line) => {
      seen.stdout += `${line}\n`;
    },
    err: (line) => {
      seen.stderr += `${line}\n`;
    },
    env: {},
  });
  const code = await runCli(commands, ['quarantine', ...argv], 'mskguard', {
    stdout: (t) => {
      seen.stdout += t;
    },
    stderr: (t) => {
      seen.stderr += t;
    },
    env: {},
  });
  return { code, ...seen };
}

const local = ['--quarantine-table', table, '--endpoint', env.DYNAMODB_ENDPOINT];

function input(partition: number, offset: number): QuarantineInput {
  return {
    group,
    topic,
    partition,
    offset,
    key: Buffer.from(`key-${offset}`).toString('base64'),
    value: Buffer.from(`value-${offset}`).toString('base64'),
    headers: [],
    idempotencyKey: `id-${offset}`,
    reason: 'probable-duplicate',
  };
}

let ids: readonly string[] = [];
beforeAll(async () => {
  await ensureTables(client, { checkpoints: uniqueName('c'), quarantine: table, audit: uniqueName('a') });
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  ({ ids } = await new QuarantineStore(client, table).put([input(0, 4), input(1, 7)]));
});
afterAll(async () => {
  await admin.disconnect();
  client.destroy();
});
beforeEach(() => {
  // As on a laptop with no AWS configuration: only --endpoint says where DynamoDB is.
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_PROFILE'])
    vi.stubEnv(name, undefined);
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/aws-config');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/aws-credentials');
});
afterEach(() => vi.unstubAllEnvs());

describe('mskguard quarantine list against DynamoDB Local', () => {
  it('reaches DynamoDB Local with --endpoint alone', async () => {
    // Act
    const { code, stdout } = await cli('list', '--group', group, ...local);

    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(
      new RegExp(`${topic}-0@4 .*QUARANTINED\\n.*${topic}-1@7 .*QUARANTINED\\n2 records`),
    );
  });

  it('answers JSON on stdout with --json', async () => {
    // Act
    const { code, stdout } = await cli('list', '--group', group, ...local, '--json');

    // Assess
    expect(code).toBe(0);
    const answer = JSON.parse(stdout);
    expect(answer).toMatchObject({ ok: true, exitCode: 0, group, limit: 50, more: false });
    expect(answer.records.map((r: { id: string }) => r.id).sort()).toEqual([...ids].sort());
    expect(answer.records[0]).toMatchObject({
      group,
      topic,
      status: 'QUARANTINED',
      reason: 'probable-duplicate',
    });
  });

  it('answers a missing table (named by the --table alias) as a JSON error naming it, exit 1', async () => {
    // Act
    const { code, stdout } = await cli(
      'list',
      '--group',
      group,
      '--endpoint',
      env.DYNAMODB_ENDPOINT,
      '--table',
      'no-such-table',
      '--json',
    );

    // Assess
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({
      ok: false,
      exitCode: 1,
      records: null,
      error: {
        name: 'TableAccessError',
        kind: 'error',
        message: `quarantine table no-such-table not found in ${env.DYNAMODB_ENDPOINT}.`,
        hint:
          'Deploy the stack that creates it, or name the right table with --quarantine-table (or ' +
          'MSKGUARD_QUARANTINE_TABLE) and --region.',
      },
    });
  });

  it('answers a DynamoDB that cannot be reached with the table, the endpoint and what to check, exit 1', async () => {
    // Act
    const { code, stderr } = await cli(
      'list',
      '--group',
      group,
      '--quarantine-table',
      table,
      '--endpoint',
      'http://127.0.0.1:1',
    );

    // Assess
    expect(code).toBe(1);
    const [error, hint] = stderr.split('\n');
    expect(error).toMatch(
      new RegExp(
        `^TableAccessError: Cannot read quarantine table ${table} in http://127\\.0\\.0\\.1:1: .*ECONNREFUSED`,
      ),
    );
    expect(hint).toBe(
      'Check the AWS credentials, --region and --endpoint (or DYNAMODB_ENDPOINT), then retry.',
    );
  });
});

describe('mskguard quarantine replay --json against DynamoDB Local and Kafka', () => {
  it('answers an unknown --id as a JSON error, exit 1, and a malformed one as a usage error, exit 2', async () => {
    // Act
    const unknown = await cli('replay', ...local, '--id', `${group}/${topic}-0@999`, '--json');
    const malformed = await cli('replay', ...local, '--id', `${group}:${topic}`, '--json');

    // Assess
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout)).toMatchObject({
      ok: false,
      exitCode: 1,
      outcomes: null,
      error: { name: 'QuarantineRecordNotFoundError', kind: 'error' },
    });
    expect(malformed.code).toBe(2);
    expect(JSON.parse(malformed.stdout)).toMatchObject({
      ok: false,
      exitCode: 2,
      error: {
        name: 'UsageError',
        kind: 'usage',
        hint: "Run 'mskguard quarantine replay --help' for usage.",
      },
    });
  });

  it('answers brokers that do not answer as a BrokersUnreachableError with the next step, no kafkajs log line, exit 1', async () => {
    // Prepare: a port nothing listens on; kafkajs's own logger writes to the console.
    const logged = (['error', 'warn', 'info', 'log'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation(() => {}),
    );

    // Act
    const { code, stdout, stderr } = await cli(
      'replay',
      '--id',
      ids[0]!,
      ...local,
      '--execute',
      '--brokers',
      '127.0.0.1:1',
      '--json',
    );

    // Assess
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({
      ok: false,
      exitCode: 1,
      outcomes: null,
      error: {
        name: 'BrokersUnreachableError',
        kind: 'error',
        message: expect.stringMatching(/^Cannot connect to the brokers 127\.0\.0\.1:1: .*ECONNREFUSED/),
        hint: expect.stringMatching(
          /^Check --brokers \(or KAFKA_BROKERS, MSKGUARD_KAFKA_BROKERS\), --kafka-auth .*Nothing was produced\.$/,
        ),
      },
    });
    expect(stderr).toMatch(/^BrokersUnreachableError: Cannot connect to the brokers 127\.0\.0\.1:1/);
    for (const spy of logged) expect(spy).not.toHaveBeenCalled();
    const [record] = await new QuarantineStore(client, table).getMany([ids[0]!]);
    expect(record?.status).toBe('QUARANTINED');
  });

  it("answers a dry run, then an executed replay, with each record's outcome", async () => {
    // Act
    const dry = await cli('replay', '--group', group, ...local, '--json');
    const executed = await cli(
      'replay',
      '--group',
      group,
      ...local,
      '--execute',
      '--brokers',
      env.KAFKA_BROKERS,
      '--by',
      'tester',
      '--json',
    );

    // Assess
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toEqual({
      ok: true,
      exitCode: 0,
      execute: false,
      selected: 2,
      replayed: 0,
      skipped: 0,
      raced: 0,
      outcomes: expect.arrayContaining(ids.map((id) => ({ id, outcome: { status: 'would-replay' } }))),
    });
    expect(executed.code).toBe(0);
    expect(JSON.parse(executed.stdout)).toEqual({
      ok: true,
      exitCode: 0,
      execute: true,
      selected: 2,
      replayed: 2,
      skipped: 0,
      raced: 0,
      outcomes: expect.arrayContaining([
        { id: ids[0], outcome: { status: 'replayed', to: `${topic}-0@0` } },
        { id: ids[1], outcome: { status: 'replayed', to: `${topic}-1@0` } },
      ]),
    });
  });
});
