// The three commands that connect to Kafka (restore, status, quarantine replay) take the same
// `--kafka-auth MODE` and `--kafka-secret-arn ARN`, fall back to KAFKA_AUTH, and refuse a bad mode
// with exit 2 before connecting. Each runs over stand-in clients that record how they were opened.
import { describe, expect, it } from 'vitest';
import { runCli } from '#shared/cli/command.ts';
import { createQuarantineCommands } from '#shared/cli/commands/quarantine.ts';
import { createRestoreCommands, type RestoreCliIo } from '#shared/cli/commands/restore.ts';
import { encodeRecord } from '#shared/quarantine/schema.ts';
import type { KafkaConnectionOptions } from '#shared/restore/clients.ts';
import { MemoryCheckpointStore } from '#shared/testing/memory-checkpoint-store.ts';
import {
  capturedRestoreIo,
  fakeRestoreAdmin,
  runStatus,
  UNUSED_CONSUMER_OFFSETS,
} from '#test/support/restore-cli.ts';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_orders-AbCdEf';

/** What a command printed and how it opened its Kafka client (none: it stopped before). */
interface Run {
  readonly code: number;
  readonly stderr: string;
  readonly connections: KafkaConnectionOptions[];
}

/** Runs one command line with `env` as the command's environment. */
type Runner = (argv: readonly string[], env: NodeJS.ProcessEnv) => Promise<Run>;

function captured() {
  const out = { stdout: '', stderr: '' };
  const write = {
    stdout: (t: string) => {
      out.stdout += t;
    },
    stderr: (t: string) => {
      out.stderr += t;
    },
  };
  return { out, write };
}

/** `restore checkpoint` of group g on topic orders, over a broker and checkpoints in memory. */
const restore: Runner = async (argv, env) => {
  const connections: KafkaConnectionOptions[] = [];
  const { out, io } = capturedRestoreIo(
    (async (config) => {
      connections.push(config);
      const checkpoints = new MemoryCheckpointStore();
      await checkpoints.advance('g', [{ topic: 'orders', partition: 0, nextOffset: 42 }], {
        requestId: 'req',
        epoch: 0,
      });
      const deps = { admin: fakeRestoreAdmin(), checkpoints, consumerOffsets: UNUSED_CONSUMER_OFFSETS };
      return { deps, close: async () => {} };
    }) as RestoreCliIo['openClients'],
    { MSKGUARD_CHECKPOINT_TABLE: 'ckpt', ...env },
  );
  const line = ['restore', 'checkpoint', '--group', 'g', '--topic', 'orders', ...argv];
  const code = await runCli(createRestoreCommands(io), line, 'mskguard', { ...io, env: {} });
  return { code, stderr: out.stderr, connections };
};

/** `status` of group g on topic orders, over the same broker. */
const status: Runner = async (argv, env) => {
  const { code, stderr, configs } = await runStatus(['--group', 'g', '--topic', 'orders', ...argv], { env });
  return { code, stderr, connections: configs };
};

/** `quarantine replay --execute` of one quarantined record; the producer's client is never reached. */
const replay: Runner = async (argv, env) => {
  const connections: KafkaConnectionOptions[] = [];
  const { out, write } = captured();
  const { item } = encodeRecord(
    {
      group: 'g',
      topic: 'orders',
      partition: 0,
      offset: 1,
      key: null,
      value: Buffer.from('{}').toString('base64'),
      headers: [],
      idempotencyKey: 'o-1',
      reason: 'bloom',
    },
    '2025-03-01T09:00:00.000Z',
    1_900_000_000,
  );
  const commands = createQuarantineCommands({
    dynamodb: () => ({ send: async () => ({ Responses: { 'quarantine-tbl': [item] } }) }),
    kafka: async (connection) => {
      connections.push(connection);
      throw new Error('no broker in unit tests');
    },
    out: (line) => write.stdout(`${line}\n`),
    err: (line) => write.stderr(`${line}\n`),
    env: { MSKGUARD_QUARANTINE_TABLE: 'quarantine-tbl', KAFKA_BROKERS: 'b-1:9092', ...env },
    // The table's region, as an AWS profile gives it: the Kafka auth's region comes from the flags.
    defaultRegion: async () => 'eu-west-1',
  });
  const line = ['quarantine', 'replay', '--id', 'g/orders-0@1', '--execute', ...argv];
  const code = await runCli(commands, line, 'mskguard', { ...write, env: {} });
  return { code, stderr: out.stderr, connections };
};

describe.each([
  ['restore checkpoint', restore, 0],
  ['status', status, 0],
  // Exit 1: the stand-in producer client fails once it has been opened.
  ['quarantine replay', replay, 1],
])('mskguard %s', (command, run, opened) => {
  it.each([
    [['--kafka-auth', 'tls'], {}, { auth: 'tls' }],
    [['--kafka-auth', 'plaintext'], {}, { auth: 'none' }],
    [['--kafka-auth', 'iam', '--region', 'eu-west-1'], {}, { auth: 'iam', region: 'eu-west-1' }],
    [
      ['--kafka-auth', 'scram', '--kafka-secret-arn', SECRET, '--region', 'eu-west-1'],
      {},
      { auth: 'scram', scramSecretArn: SECRET, region: 'eu-west-1' },
    ],
    [[], { KAFKA_AUTH: 'iam', AWS_REGION: 'eu-west-1' }, { auth: 'iam', region: 'eu-west-1' }],
    [
      [],
      { MSKGUARD_KAFKA_AUTH: 'scram', MSKGUARD_KAFKA_SECRET_ARN: SECRET, AWS_REGION: 'eu-west-1' },
      { auth: 'scram', scramSecretArn: SECRET },
    ],
    [['--kafka-auth', 'none'], { KAFKA_AUTH: 'iam' }, { auth: 'none' }],
  ])('takes %j (env %j): its Kafka client is opened with %j', async (argv, env, expected) => {
    // Act
    const { code, connections } = await run(argv, env);

    // Assess
    expect(code).toBe(opened);
    expect(connections).toEqual([expect.objectContaining({ brokers: expect.any(Array), ...expected })]);
  });

  it.each([
    [
      ['--kafka-auth', 'sasl'],
      {},
      /^--kafka-auth sasl: expected none \(or plaintext\), tls, iam or scram\.$/,
    ],
    [[], { KAFKA_AUTH: 'ssl' }, /^KAFKA_AUTH=ssl: expected none .*\(--kafka-auth MODE overrides it\)\.$/],
    [['--kafka-auth', 'iam'], {}, /^--kafka-auth iam needs the MSK cluster region: pass --region/],
    [
      ['--kafka-auth', 'scram', '--region', 'eu-west-1'],
      {},
      /^--kafka-auth scram needs the secret .*--kafka-secret-arn ARN/,
    ],
  ])('refuses %j (env %j) with exit 2 and a pointer to --help, before connecting', async (argv, env, message) => {
    // Act
    const { code, stderr, connections } = await run(argv, env);

    // Assess
    expect(code).toBe(2);
    const [first, second] = stderr.trimEnd().split('\n').slice(-2);
    expect(first).toMatch(message);
    expect(second).toBe(`Run 'mskguard ${command} --help' for usage.`);
    expect(connections).toEqual([]);
  });
});
