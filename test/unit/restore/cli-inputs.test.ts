// `mskguard restore`'s command line read the way status and quarantine read theirs: which flags are
// missing, where DynamoDB is (--endpoint, DYNAMODB_ENDPOINT), that a table or ESM call has a region,
// and what --help says each input can be set with.
import { describe, expect, it } from 'vitest';
import type { RestoreCliIo } from '#shared/cli/commands/restore.ts';
import type { RestoreClients, RestoreClientsConfig } from '#shared/restore/clients.ts';
import { MemoryCheckpointStore } from '#shared/testing/memory-checkpoint-store.ts';
import {
  capturedRestoreIo,
  ENDPOINT_CASES,
  fakeRestoreAdmin,
  runRestore,
  UNUSED_CONSUMER_OFFSETS,
} from '#test/support/restore-cli.ts';

/** `mskguard restore` over a stand-in broker, with what it printed and how it opened its clients. */
async function restore(argv: readonly string[], env: NodeJS.ProcessEnv = {}, profileRegion?: string | null) {
  const configs: RestoreClientsConfig[] = [];
  const openClients = async (config: RestoreClientsConfig): Promise<RestoreClients> => {
    configs.push(config);
    const checkpoints = new MemoryCheckpointStore();
    await checkpoints.advance('g', [{ topic: 'orders', partition: 0, nextOffset: 42 }], {
      requestId: 'req',
      epoch: 0,
    });
    const deps = {
      admin: fakeRestoreAdmin(),
      checkpoints,
      consumerOffsets: UNUSED_CONSUMER_OFFSETS,
    };
    return { deps, close: async () => {} };
  };
  const captured = capturedRestoreIo(openClients as RestoreCliIo['openClients'], env);
  const out = captured.out;
  // null: no AWS profile region, as on a bare laptop; undefined: the stand-in's.
  const io: RestoreCliIo =
    profileRegion === undefined
      ? captured.io
      : { ...captured.io, defaultRegion: async () => profileRegion ?? undefined };
  const code = await runRestore(io, argv);
  return { code, configs, ...out };
}

describe('mskguard restore: required flags', () => {
  it.each([
    [['auto', '--topic', 'orders'], 'Missing --group ID.'],
    [['auto', '--group', 'g'], 'Missing --topic NAME.'],
    [['timestamp', '--at=-1h'], 'Missing --group ID and --topic NAME.'],
    [['file', '--topic', 'orders', '--offsets', '0=1'], 'Missing --group ID.'],
    [['undo', '0b0f5f0e-5d7c-4a55-9d0b-1f0f3a7c2d11', '--topic', 'orders'], 'Missing --group ID.'],
  ])('%j names the flag, exit 2 before connecting', async (argv, message) => {
    // Act
    const { code, stderr, configs } = await restore(argv);

    // Assess
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe(message);
    expect(configs).toEqual([]);
  });
});

describe('mskguard restore: a flag passed with an empty value', () => {
  // Read as absent, '' would silently mean something else: every partition, a local run instead of
  // the function, no export file, the ESM left alone, the environment's table or brokers.
  const line = ['--group', 'g', '--topic', 'orders', '--at=-1h'];
  it.each([
    [['timestamp', ...line, '--partitions', ''], '--partitions'],
    [['timestamp', ...line, '--partitions='], '--partitions'],
    [['timestamp', ...line, '--esm-uuid', ''], '--esm-uuid'],
    [['timestamp', ...line, '--export', ''], '--export'],
    [['timestamp', ...line, '--via-lambda', ''], '--via-lambda'],
    [['timestamp', ...line, '--brokers', ''], '--brokers'],
    [['checkpoint', '--group', 'g', '--topic', 'orders', '--checkpoint-table', ''], '--checkpoint-table'],
    [['timestamp', '--group', 'g', '--topic', 'orders', '--at', ''], '--at'],
    [['file', '--group', 'g', '--topic', 'orders', '--offsets', ''], '--offsets'],
    [['timestamp', '--group', '', '--topic', 'orders', '--at=-1h'], '--group'],
  ])('%j is a usage error naming %s, exit 2 before connecting', async (argv, flag) => {
    // Act
    const { code, stderr, stdout, configs } = await restore(argv, { CHECKPOINT_TABLE: 'env-table' });

    // Assess
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe(
      `${flag} is empty: give it a value, or leave the flag out for its default.`,
    );
    expect(stdout).toBe('');
    expect(configs).toEqual([]);
  });
});

describe('mskguard restore: what is missing first', () => {
  it.each([
    [
      ['undo', '0b0f5f0e-5d7c-4a55-9d0b-1f0f3a7c2d11', '--group', 'g', '--topic', 'orders'],
      /^undo reads the restore from the audit table: pass --audit-table/,
    ],
    [
      ['checkpoint', '--group', 'g', '--topic', 'orders'],
      /^No checkpoint table \(strategy checkpoint reads it\)/,
    ],
    [['timestamp', '--group', 'g', '--topic', 'orders', '--at=-1h'], /^No brokers: pass --brokers/],
  ])('%j without brokers names the table the strategy needs first, else the brokers', async (argv, message) => {
    // Act
    const { code, stderr, configs } = await restore(argv, { KAFKA_BROKERS: undefined });

    // Assess
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(configs).toEqual([]);
  });
});

describe('mskguard restore: DynamoDB endpoint', () => {
  it.each(ENDPOINT_CASES)('%j (env %j) reads the tables at %s', async (argv, env, endpoint) => {
    // Act
    const { code, configs } = await restore(
      ['checkpoint', '--group', 'g', '--topic', 'orders', '--checkpoint-table', 'ckpt', ...argv],
      env,
    );

    // Assess
    expect(code).toBe(0);
    expect(configs).toEqual([
      expect.objectContaining({ checkpointTable: 'ckpt', dynamodbEndpoint: endpoint }),
    ]);
  });

  it.each([
    ['checkpoint'],
    ['undo'],
  ])('restore %s --help documents --endpoint and its variable', async (s) => {
    // Act
    const { code, stdout } = await restore([s, '--help']);

    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ {2}--endpoint URL +DynamoDB endpoint .*\(env DYNAMODB_ENDPOINT\)/m);
  });
});

describe('mskguard restore: brokers from the environment', () => {
  it.each([
    [{ KAFKA_BROKERS: 'b-1:9092' }, ['b-1:9092']],
    [{ KAFKA_BROKERS: undefined, MSKGUARD_KAFKA_BROKERS: 'b-2:9092,b-3:9092' }, ['b-2:9092', 'b-3:9092']],
  ])('%j are the brokers', async (env, brokers) => {
    // Act
    const { code, configs } = await restore(
      ['timestamp', '--group', 'g', '--topic', 'orders', '--at=-1h'],
      env,
    );

    // Assess
    expect(code).not.toBe(2);
    expect(configs).toEqual([expect.objectContaining({ brokers })]);
  });

  it.each([['checkpoint'], ['undo']])('restore %s --help documents both variables', async (s) => {
    // Act
    const { code, stdout } = await restore([s, '--help']);

    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ {2}--brokers LIST .*\(env KAFKA_BROKERS or\s+MSKGUARD_KAFKA_BROKERS\)/m);
  });

  it('names both variables when no brokers are set', async () => {
    // Act
    const { code, stderr } = await restore(['timestamp', '--group', 'g', '--topic', 'orders', '--at=-1h'], {
      KAFKA_BROKERS: undefined,
    });

    // Assess
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^No brokers: pass --brokers host:port\[,\.\.\.\] or set KAFKA_BROKERS \(or MSKGUARD_KAFKA_BROKERS\)\.$/m,
    );
  });
});

describe('mskguard restore: region', () => {
  const line = ['--group', 'g', '--topic', 'orders'];
  const uuid = '6f1c2a4e-0b9d-4c1e-9a57-3f0d2e1b7c88';
  const restoreId = '0b0f5f0e-5d7c-4a55-9d0b-1f0f3a7c2d11';
  const needs = ' needs an AWS region: pass --region R or set AWS_REGION (or a region in your AWS profile)';
  const dynamodbHint = `${needs}; for DynamoDB Local pass --endpoint URL (or set DYNAMODB_ENDPOINT).`;

  it.each([
    [['checkpoint', '--checkpoint-table', 'ckpt'], `--checkpoint-table ckpt${dynamodbHint}`],
    [['undo', restoreId, '--audit-table', 'A'], `--audit-table A${dynamodbHint}`],
    [
      ['timestamp', '--at=-1h', '--checkpoint-table', 'ckpt', '--execute', '--audit-table', 'A'],
      `--checkpoint-table ckpt and --audit-table A${dynamodbHint}`,
    ],
    [
      [
        'timestamp',
        '--at=-1h',
        '--execute',
        '--audit-table',
        'A',
        '--esm-uuid',
        uuid,
        '--endpoint',
        'http://127.0.0.1:8000',
      ],
      `--esm-uuid ${uuid}${needs}.`,
    ],
  ])('%j without a region exits 2 naming the flags, before connecting', async (argv, message) => {
    // Act
    const { code, stderr, configs } = await restore([...argv, ...line], {}, null);

    // Assess
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe(message);
    expect(configs).toEqual([]);
  });

  it.each([
    [['checkpoint', '--checkpoint-table', 'ckpt', '--region', 'eu-west-1'], {}, null],
    [['checkpoint', '--checkpoint-table', 'ckpt'], { AWS_DEFAULT_REGION: 'eu-west-1' }, null],
    [['checkpoint', '--checkpoint-table', 'ckpt'], {}, 'eu-west-1'],
    [['checkpoint', '--checkpoint-table', 'ckpt', '--endpoint', 'http://127.0.0.1:8000'], {}, null],
    // A dry run reads no audit table and toggles no ESM; reprocess reads no checkpoint to plan timestamp.
    [['timestamp', '--at=-1h', '--audit-table', 'A', '--esm-uuid', uuid], {}, null],
    [['timestamp', '--at=-1h', '--mode', 'reprocess', '--checkpoint-table', 'ckpt'], {}, null],
  ])('%j (env %j, profile region %s) connects', async (argv, env, profile) => {
    // Act
    const { configs } = await restore([...argv, ...line], env, profile);

    // Assess
    expect(configs).toHaveLength(1);
  });
});
