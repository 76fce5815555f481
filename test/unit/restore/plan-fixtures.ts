// What the restore planning tests share: a fake admin over given [low, high] ranges, commits and
// members, a fake __consumer_offsets reader, a checkpoint store with history and checkpoints, and
// the request and dependencies planRestore takes (a fixed clock and restore id).
import type { GroupDescriptions } from 'kafkajs';
import { vi } from 'vitest';
import type { ConsumerOffsetsReader, LastCommits } from '#shared/restore/consumer-offsets-reader.ts';
import type { PlanDeps } from '#shared/restore/plan.ts';
import type { RestoreAdmin, RestoreRequest } from '#shared/restore/types.ts';
import { MemoryCheckpointStore } from '#shared/testing/memory-checkpoint-store.ts';

const NOW = new Date('2025-03-01T12:00:00.000Z');
/** The `--at` the tests plan for (the fake reader's commits are 1 s before it). */
export const T = '2025-03-01T10:00:00.000Z';

interface AdminSetup {
  ranges: readonly (readonly [number, number])[];
  committed?: Record<number, number>;
  members?: number;
  byTimestamp?: readonly number[];
}

/** A RestoreAdmin over `ranges` ([low, high] per partition), with the group's commits and members. */
function fakeAdmin(setup: AdminSetup) {
  const setOffsets = vi.fn(async () => {});
  const admin = {
    listTopics: async () => ['orders'],
    fetchTopicOffsets: async () =>
      setup.ranges.map(([low, high], partition) => ({
        partition,
        offset: String(high),
        low: String(low),
        high: String(high),
      })),
    fetchTopicOffsetsByTimestamp: async () =>
      (setup.byTimestamp ?? []).map((offset, partition) => ({ partition, offset: String(offset) })),
    fetchOffsets: async () => [
      {
        topic: 'orders',
        partitions: setup.ranges.map((_, partition) => ({
          partition,
          offset: String(setup.committed?.[partition] ?? -1),
          metadata: null,
        })),
      },
    ],
    describeGroups: async (): Promise<GroupDescriptions> => ({
      groups: [
        {
          groupId: 'g',
          protocol: '',
          protocolType: 'consumer',
          state: setup.members ? 'Stable' : 'Empty',
          members: Array.from({ length: setup.members ?? 0 }, (_, i) => ({
            memberId: `m${i}`,
            clientId: `client-${i}`,
            clientHost: '/10.0.0.1',
            memberAssignment: Buffer.alloc(0),
            memberMetadata: Buffer.alloc(0),
          })),
        },
      ],
    }),
    setOffsets,
  } satisfies RestoreAdmin;
  return { admin, setOffsets };
}

/** A __consumer_offsets reader that finds `commits` (partition → offset), or fails with `error`. */
export function fakeReader(
  commits: Record<number, number>,
  error?: Error,
): ConsumerOffsetsReader & { calls: number } {
  const reader = {
    calls: 0,
    lastCommitsAt: async (): Promise<LastCommits> => {
      reader.calls++;
      if (error) throw error;
      const entries = Object.entries(commits).map(
        ([p, offset]) =>
          [
            Number(p),
            {
              version: 1,
              group: 'g',
              topic: 'orders',
              partition: Number(p),
              offset,
              leaderEpoch: 0,
              metadata: '',
              commitTimestamp: Date.parse(T) - 1000,
              expireTimestamp: -1,
              valueVersion: 3,
            },
          ] as const,
      );
      return {
        commits: new Map(entries),
        scannedPartition: 3,
        scannedRecords: 10,
        complete: true,
        notes: [],
      };
    },
  };
  return reader;
}

/**
 * A checkpoint store holding `history` (epoch 0) then `checkpoints` (epoch 1) per partition, and a
 * fake admin for `admin`.
 */
export async function setup(
  admin: AdminSetup,
  checkpoints: Record<number, number> = {},
  history: Record<number, number> = {},
) {
  const store = new MemoryCheckpointStore(() => new Date('2025-03-01T09:00:00.000Z'));
  for (const [p, offset] of Object.entries(history)) {
    await store.advance('g', [{ topic: 'orders', partition: Number(p), nextOffset: offset }], {
      requestId: 'h',
      epoch: 0,
    });
  }
  // Checkpoints in a later epoch (after a reprocess) may sit below older history: p1 of the auto test.
  store.clock = () => new Date('2025-03-01T11:00:00.000Z');
  for (const [p, offset] of Object.entries(checkpoints)) {
    await store.advance('g', [{ topic: 'orders', partition: Number(p), nextOffset: offset }], {
      requestId: 'c',
      epoch: 1,
    });
  }
  const fake = fakeAdmin(admin);
  return { store, ...fake };
}

export const request = (r: Partial<RestoreRequest>): RestoreRequest => ({
  group: 'g',
  topic: 'orders',
  strategy: 'checkpoint',
  ...r,
});
export const deps = (
  admin: RestoreAdmin,
  store: MemoryCheckpointStore,
  reader = fakeReader({}),
): PlanDeps => ({
  admin,
  checkpoints: store,
  consumerOffsets: reader,
  clock: () => NOW,
  newId: () => 'restore-1',
});
