// Restore planning (design §7): each strategy's targets and provenance, validation against the
// broker's [low, high] (refused, or clamped with --clamp), refusal while the group has members,
// and auto's per-partition policy with its explanation. A plan never writes.
import type { GroupDescriptions } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import type { ConsumerOffsetsReader, LastCommits } from '#shared/restore/consumer-offsets-reader.ts';
import { RestoreUsageError } from '#shared/restore/errors.ts';
import { formatPlan } from '#shared/restore/format.ts';
import { type PlanDeps, planRestore } from '#shared/restore/plan.ts';
import type { RestoreAdmin, RestoreRequest } from '#shared/restore/types.ts';
import { MemoryCheckpointStore } from '#shared/testing/memory-checkpoint-store.ts';

const NOW = new Date('2025-03-01T12:00:00.000Z');
const T = '2025-03-01T10:00:00.000Z';

interface AdminSetup {
  ranges: readonly (readonly [number, number])[];
  committed?: Record<number, number>;
  members?: number;
  byTimestamp?: readonly number[];
}

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

function fakeReader(
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

async function setup(
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

const request = (r: Partial<RestoreRequest>): RestoreRequest => ({
  group: 'g',
  topic: 'orders',
  strategy: 'checkpoint',
  ...r,
});
const deps = (admin: RestoreAdmin, store: MemoryCheckpointStore, reader = fakeReader({})): PlanDeps => ({
  admin,
  checkpoints: store,
  consumerOffsets: reader,
  clock: () => NOW,
  newId: () => 'restore-1',
});

describe('planRestore with one strategy', () => {
  it('checkpoint: targets the checkpoints, with the committed offsets and deltas, and writes nothing', async () => {
    // Prepare
    const { admin, store, setOffsets } = await setup(
      {
        ranges: [
          [0, 100],
          [0, 80],
        ],
        committed: { 0: 10 },
      },
      { 0: 60, 1: 70 },
    );

    // Act
    const plan = await planRestore(request({}), deps(admin, store));

    // Assess
    expect(plan.rows.map((r) => [r.partition, r.committed, r.target, r.delta, r.source])).toEqual([
      [0, 10, 60, 50, 'checkpoint'],
      [1, null, 70, null, 'checkpoint'],
    ]);
    expect(plan.refusals).toEqual([]);
    expect(setOffsets).not.toHaveBeenCalled();
  });

  it('history --at: takes the last history item at or before T', async () => {
    // Prepare
    const { admin, store } = await setup({ ranges: [[0, 100]] }, { 0: 90 }, { 0: 40 });

    // Act
    const plan = await planRestore(request({ strategy: 'history', at: T }), deps(admin, store));

    // Assess
    expect(plan.rows[0]).toMatchObject({ target: 40, source: 'history' });
    expect(plan.at).toBe(T);
  });

  it('timestamp --at: uses the broker offsets and says when T is before the earliest retained record', async () => {
    // Prepare
    const { admin, store } = await setup({
      ranges: [
        [5, 100],
        [0, 50],
      ],
      byTimestamp: [5, 20],
    });

    // Act
    const plan = await planRestore(request({ strategy: 'timestamp', at: T }), deps(admin, store));

    // Assess
    expect(plan.rows.map((r) => r.target)).toEqual([5, 20]);
    expect(plan.rows[0]?.detail).toMatch(/at or before the earliest retained record/);
    expect(plan.warnings.join('\n')).toMatch(/before the earliest retained record of 1 partition/);
  });

  it('refuses a target outside [low, high], and names the fix', async () => {
    // Prepare
    const { admin, store } = await setup(
      {
        ranges: [
          [50, 100],
          [0, 80],
        ],
      },
      { 0: 10, 1: 90 },
    );

    // Act
    const plan = await planRestore(request({}), deps(admin, store));

    // Assess
    expect(plan.rows.map((r) => [r.target, r.problem])).toEqual([
      [null, 'offset 10 < low 50 (those records were deleted by retention); rerun with --clamp to use 50'],
      [
        null,
        'offset 90 > high 80 (beyond the end of the log: was the topic recreated?); rerun with --clamp to use 80',
      ],
    ]);
    expect(plan.refusals[0]).toMatch(/^2 partition\(s\) have no usable target/);
  });

  it('clamps out-of-range targets with --clamp and shows it', async () => {
    // Prepare
    const { admin, store } = await setup(
      {
        ranges: [
          [50, 100],
          [0, 80],
        ],
      },
      { 0: 10, 1: 90 },
    );

    // Act
    const plan = await planRestore(request({ clamp: true }), deps(admin, store));

    // Assess
    expect(plan.rows.map((r) => [r.proposed, r.target, r.clamped])).toEqual([
      [10, 50, true],
      [90, 80, true],
    ]);
    expect(plan.refusals).toEqual([]);
    expect(formatPlan(plan)).toMatch(/clamped from 10/);
  });

  it('refuses a partition the source has nothing for, with the reason', async () => {
    // Prepare
    const { admin, store } = await setup(
      {
        ranges: [
          [0, 10],
          [0, 10],
        ],
      },
      { 0: 5 },
    );

    // Act
    const plan = await planRestore(request({}), deps(admin, store));

    // Assess
    expect(plan.rows[1]?.problem).toMatch(/no checkpoint item/);
    expect(plan.refusals).toHaveLength(1);
  });

  it('refuses while the group has members and no ESM is named; with an ESM it only warns', async () => {
    // Prepare
    const { admin, store } = await setup({ ranges: [[0, 10]], members: 2 }, { 0: 5 });

    // Act
    const without = await planRestore(request({}), deps(admin, store));
    const withEsm = await planRestore(
      request({ esmUuid: '6f1c2a4e-0b9d-4c1e-9a57-3f0d2e1b7c88' }),
      deps(admin, store),
    );

    // Assess
    expect(without.refusals).toEqual([
      expect.stringMatching(/2 active member\(s\) \(client-0@\/10.0.0.1, client-1/),
    ]);
    expect(withEsm.refusals).toEqual([]);
    expect(withEsm.warnings).toContain(
      'group has 2 member(s): --execute disables the ESM and waits until it is Empty',
    );
  });
  it('names an unknown topic at once instead of retrying', async () => {
    // Prepare
    const { admin, store } = await setup({ ranges: [[0, 10]] });

    // Act
    const planned = planRestore(request({ topic: 'ordres' }), deps(admin, store));

    // Assess
    await expect(planned).rejects.toThrow(RestoreUsageError);
    await expect(planned).rejects.toThrow(
      'Topic ordres does not exist on these brokers: check --topic and --brokers.',
    );
  });
});

describe('planRestore with auto', () => {
  it('picks per partition the first in-range source and explains every verdict', async () => {
    // Prepare: p0 checkpoint ok; p1 checkpoint below low → history; p2 only a commit; p3 only time.
    const { admin, store } = await setup(
      {
        ranges: [
          [0, 100],
          [30, 100],
          [0, 100],
          [0, 100],
        ],
        byTimestamp: [1, 2, 3, 44],
      },
      { 0: 60, 1: 10 },
      { 1: 35 },
    );
    const reader = fakeReader({ 2: 77 });

    // Act
    const plan = await planRestore(request({ strategy: 'auto', at: T }), deps(admin, store, reader));

    // Assess
    expect(plan.rows.map((r) => [r.target, r.source])).toEqual([
      [60, 'checkpoint'],
      [35, 'history'],
      [77, 'consumer-offsets'],
      [44, 'timestamp'],
    ]);
    const p1 = plan.considered.filter((c) => c.partition === 1).map((c) => [c.source, c.verdict]);
    expect(p1).toEqual([
      ['checkpoint', 'rejected'],
      ['history', 'chosen'],
    ]);
    expect(plan.considered.find((c) => c.partition === 1 && c.source === 'checkpoint')?.reason).toMatch(
      /offset 10 < low 30/,
    );
    expect(formatPlan(plan)).toMatch(
      /partition\(s\) 3: checkpoint rejected \(no checkpoint item.*\); history rejected.*consumer-offsets rejected.*timestamp chosen/,
    );
  });

  it('does not scan __consumer_offsets when the checkpoints cover every partition', async () => {
    // Prepare
    const { admin, store } = await setup(
      {
        ranges: [
          [0, 100],
          [0, 100],
        ],
      },
      { 0: 1, 1: 2 },
    );
    const reader = fakeReader({});

    // Act
    const plan = await planRestore(request({ strategy: 'auto', at: T }), deps(admin, store, reader));

    // Assess
    expect(reader.calls).toBe(0);
    expect(plan.warnings).toContain(
      'consumer-offsets: not consulted (every partition already has an in-range target)',
    );
  });

  it('keeps going when a source fails, and without --at skips history and timestamp', async () => {
    // Prepare
    const { admin, store } = await setup({ ranges: [[0, 100]] });
    const reader = fakeReader({}, new Error('scan timed out'));

    // Act
    const plan = await planRestore(request({ strategy: 'auto' }), deps(admin, store, reader));

    // Assess
    expect(plan.considered.map((c) => [c.source, c.reason])).toEqual([
      ['checkpoint', expect.stringMatching(/no checkpoint item/)],
      ['history', 'needs --at (without it, history is the current checkpoint)'],
      ['consumer-offsets', 'source unavailable: scan timed out'],
      ['timestamp', 'needs --at (at "now" it would skip every record not yet processed)'],
    ]);
    expect(plan.refusals[0]).toMatch(/1 partition\(s\) have no usable target/);
  });
});
