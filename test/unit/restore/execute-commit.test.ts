// Restore execution with the direct OffsetCommit (decision 0012): the targets go through the
// OffsetWriter, not admin.setOffsets; when the broker refuses the commit because a member joined
// after the group was seen Empty, nothing was written, so the ESM is re-enabled (not left disabled)
// and the result is `refused` with GroupActiveError. The Lambda API is mocked.
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupActiveError } from '#shared/restore/errors.ts';
import { EventSourceMappingToggle } from '#shared/restore/esm.ts';
import { executePlan } from '#shared/restore/execute.ts';
import type { RestoreAdmin } from '#shared/restore/types.ts';
import { MemoryCheckpointStore } from '#shared/testing/memory-checkpoint-store.ts';
import { esmStates, lambda, plan as planOf, updates } from './execute-fixtures.ts';

afterEach(() => lambda.reset());

/** An offsets-file plan of an Empty group: targets 10 and 11, 5 committed. */
const plan = planOf({
  strategy: 'file',
  groupState: 'Empty',
  rows: [0, 1].map((partition) => ({
    partition,
    committed: 5,
    low: 0,
    high: 100,
    proposed: 10 + partition,
    target: 10 + partition,
    delta: 5 + partition,
    source: 'file' as const,
    detail: 'offsets file',
    clamped: false,
    problem: null,
  })),
});

function deps(commit: (partitions: readonly { partition: number; offset: string }[]) => Promise<void>) {
  const committed = new Map<number, number>();
  const admin = {
    listTopics: async () => ['orders'],
    fetchTopicOffsets: async () => [],
    fetchTopicOffsetsByTimestamp: async () => [],
    describeGroups: async () => ({
      groups: [{ groupId: 'g', state: 'Empty', protocol: '', protocolType: 'consumer', members: [] }],
    }),
    fetchOffsets: async () => [
      {
        topic: 'orders',
        partitions: [...committed].map(([partition, o]) => ({
          partition,
          offset: String(o),
          metadata: null,
        })),
      },
    ],
    setOffsets: async () => {
      throw new Error('setOffsets must not be called when an OffsetWriter is given');
    },
  } satisfies RestoreAdmin;
  return {
    admin,
    checkpoints: new MemoryCheckpointStore(),
    esm: new EventSourceMappingToggle(new LambdaClient({ region: 'us-east-1' }), {
      pollMs: 1,
      sleep: async () => {},
    }),
    offsets: {
      commitOffsets: async ({
        partitions,
      }: {
        partitions: readonly { partition: number; offset: string }[];
      }) => {
        await commit(partitions);
        for (const p of partitions) committed.set(p.partition, Number(p.offset));
      },
    },
  };
}

describe('executePlan with an OffsetWriter', () => {
  it('commits every target in one call through the writer, verifies, re-enables the ESM', async () => {
    // Prepare
    esmStates('Enabled', 'Disabled', 'Enabled');
    const calls: unknown[] = [];

    // Act
    const result = await executePlan(
      plan,
      deps(async (p) => void calls.push(p)),
    );

    // Assess
    expect([result.status, result.verified, result.esm?.reenabled]).toEqual(['succeeded', true, true]);
    expect(calls).toEqual([
      [
        { partition: 0, offset: '10' },
        { partition: 1, offset: '11' },
      ],
    ]);
  });

  it('re-enables the ESM and reports refused when the broker refuses the commit (a member joined)', async () => {
    // Prepare
    esmStates('Enabled', 'Disabled', 'Enabled');

    // Act
    const result = await executePlan(
      plan,
      deps(async () => {
        throw new GroupActiveError('The broker refused to commit for group g (UNKNOWN_MEMBER_ID)', []);
      }),
    );

    // Assess
    expect([result.status, result.error?.name, result.applied]).toEqual(['refused', 'GroupActiveError', []]);
    expect(result.esm).toMatchObject({ reenabled: true, leftDisabled: false });
    expect(updates()).toEqual([false, true]);
  });
});
