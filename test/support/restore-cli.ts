// Stand-ins for the restore and status CLIs' unit tests: a broker that knows the topic `orders` (one
// partition, committed offset 3, log 0..50) and the CLIs' io with their output captured.
import { LambdaClient } from '@aws-sdk/client-lambda';
import { runCli } from '#shared/cli/command.ts';
import { createRestoreCommands, type RestoreCliIo } from '#shared/cli/commands/restore.ts';
import { createStatusCommands } from '#shared/cli/commands/status.ts';
import type { RestoreClients } from '#shared/restore/clients.ts';
import type { RestoreDeps } from '#shared/restore/engine.ts';
import type { RestoreAdmin } from '#shared/restore/types.ts';
import type { StatusClientsConfig } from '#shared/status/clients.ts';
import type { StatusAdmin } from '#shared/status/collect.ts';
import { MemoryCheckpointStore } from '#shared/testing/memory-checkpoint-store.ts';

/** The same broker as `status` reads it: it also lists the group `g`. */
export function fakeStatusAdmin(): StatusAdmin {
  return {
    ...fakeRestoreAdmin(),
    listGroups: async () => ({ groups: [{ groupId: 'g', protocolType: 'consumer' }] }),
  } as unknown as StatusAdmin;
}

/** The group `g` on a broker with topic `orders`: Empty, or Stable with `members` members. */
export function fakeRestoreAdmin(members = 0): RestoreAdmin {
  return {
    listTopics: async () => ['orders'],
    fetchTopicOffsets: async () => [{ partition: 0, offset: '50', low: '0', high: '50' }],
    fetchTopicOffsetsByTimestamp: async () => [],
    fetchOffsets: async () => [
      { topic: 'orders', partitions: [{ partition: 0, offset: '3', metadata: null }] },
    ],
    describeGroups: async () => ({
      groups: [
        {
          groupId: 'g',
          protocol: '',
          protocolType: 'consumer',
          state: members ? ('Stable' as const) : ('Empty' as const),
          members: Array.from({ length: members }, () => ({
            memberId: 'm',
            clientId: 'c',
            clientHost: 'h',
            memberAssignment: Buffer.alloc(0),
            memberMetadata: Buffer.alloc(0),
          })),
        },
      ],
    }),
    setOffsets: async () => {},
  } satisfies RestoreAdmin;
}

/** The consumer-offsets reader the CLI tests never reach. */
export const UNUSED_CONSUMER_OFFSETS = {
  lastCommitsAt: async (): Promise<never> => {
    throw new Error('unused');
  },
};

/** The CLI's io around `openClients`, with stdout and stderr captured in `out`. */
export function capturedRestoreIo(
  openClients: RestoreCliIo['openClients'],
  env: NodeJS.ProcessEnv,
): { out: { stdout: string; stderr: string }; io: RestoreCliIo } {
  const out = { stdout: '', stderr: '' };
  const io: RestoreCliIo = {
    stdout: (t) => {
      out.stdout += t;
    },
    stderr: (t) => {
      out.stderr += t;
    },
    env: { KAFKA_BROKERS: 'localhost:1', USER: 'alice', ...env },
    openClients,
    lambda: (region) => new LambdaClient({ region }),
    // The stand-in tables' region, as an AWS profile gives it: flags and env name none by default.
    defaultRegion: async () => 'eu-west-1',
  };
  return { out, io };
}

/**
 * Runs `mskguard restore <argv>` on `io` as bin/mskguard does, and answers its exit code. The
 * process environment handed to the runner is empty: what the command reads is in `io.env`.
 */
export function runRestore(io: RestoreCliIo, argv: readonly string[]): Promise<number> {
  return runCli(createRestoreCommands(io), ['restore', ...argv], 'mskguard', {
    stdout: io.stdout,
    stderr: io.stderr,
    env: {},
  });
}

/**
 * `openClients` over the fake broker ({@link fakeRestoreAdmin}): an empty checkpoint store, no
 * consumer-offsets reader, and whatever `deps` adds or replaces (an audit, an ESM control...).
 */
export function fakeRestoreClients(deps: Partial<RestoreDeps> = {}): () => Promise<RestoreClients> {
  return async () => ({
    deps: {
      admin: fakeRestoreAdmin(),
      checkpoints: new MemoryCheckpointStore(),
      consumerOffsets: UNUSED_CONSUMER_OFFSETS,
      ...deps,
    },
    close: async () => {},
  });
}

/** Runs `mskguard status <argv>` with KAFKA_BROKERS set (and `env`); `defaultRegion` stands in for the AWS profile's. */
export async function runStatus(
  argv: readonly string[],
  options: { env?: NodeJS.ProcessEnv; defaultRegion?: () => Promise<string | undefined> } = {},
) {
  const out = { stdout: '', stderr: '', configs: [] as StatusClientsConfig[] };
  const write = {
    stdout: (t: string) => {
      out.stdout += t;
    },
    stderr: (t: string) => {
      out.stderr += t;
    },
  };
  const admin = fakeStatusAdmin();
  const commands = createStatusCommands({
    ...write,
    env: { KAFKA_BROKERS: 'b-1:9092', ...options.env },
    isTty: false,
    openClients: async (config) => {
      out.configs.push(config);
      return { deps: { admin }, close: async () => {} };
    },
    sleep: async () => {},
    watching: () => false,
    ...(options.defaultRegion ? { defaultRegion: options.defaultRegion } : {}),
  });
  const code = await runCli(commands, ['status', ...argv], 'mskguard', { ...write, env: {} });
  return { code, ...out };
}

/** `--endpoint` and DYNAMODB_ENDPOINT, alone and together: [argv, env, the endpoint the tables are read at]. */
export const ENDPOINT_CASES: [string[], NodeJS.ProcessEnv, string][] = [
  [['--endpoint', 'http://127.0.0.1:8000'], {}, 'http://127.0.0.1:8000'],
  [[], { DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' }, 'http://127.0.0.1:8000'],
  [
    ['--endpoint', 'http://127.0.0.1:8001'],
    { DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' },
    'http://127.0.0.1:8001',
  ],
];
