// `mskguard restore`'s command line read the way status and quarantine read theirs: which flags are
// missing, where DynamoDB is (--endpoint, DYNAMODB_ENDPOINT), and what --help says each input can
// be set with.
import { describe, expect, it } from 'vitest';
import type { RestoreCliIo } from '#shared/cli/commands/restore.ts';
import type { RestoreClients, RestoreClientsConfig } from '#shared/restore/clients.ts';
import { MemoryCheckpointStore } from '#shared/testing/memory-checkpoint-store.ts';
import {
  capturedRestoreIo,
  fakeRestoreAdmin,
  runRestore,
  UNUSED_CONSUMER_OFFSETS,
} from '#test/support/restore-cli.ts';

/** `mskguard restore` over a stand-in broker, with what it printed and how it opened its clients. */
async function restore(argv: readonly string[], env: NodeJS.ProcessEnv = {}) {
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
  const { out, io } = capturedRestoreIo(openClients as RestoreCliIo['openClients'], env);
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
  it.each([
    [['--endpoint', 'http://127.0.0.1:8000'], {}, 'http://127.0.0.1:8000'],
    [[], { DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' }, 'http://127.0.0.1:8000'],
    [
      ['--endpoint', 'http://127.0.0.1:8001'],
      { DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' },
      'http://127.0.0.1:8001',
    ],
  ])('%j (env %j) reads the tables at %s', async (argv, env, endpoint) => {
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
