// Decision 0024 in `mskguard status` (collect): where a partition without a checkpoint item starts
// being work comes from the mapping's starting position, looked up on the broker only when it
// matters (LATEST / AT_TIMESTAMP, no commit, no checkpoint); a failed lookup fails status rather
// than guess. Over a stand-in broker (one partition, log 0..50), so the failure can be made.
import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '#shared/checkpoints/types.ts';
import type { StatusAdmin, StatusDeps } from '#shared/status/collect.ts';
import { collectStatus } from '#shared/status/collect.ts';
import type { EsmStatus } from '#shared/status/types.ts';
import { fakeStatusAdmin } from '#test/support/restore-cli.ts';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const esm = (extra: Partial<EsmStatus> = {}): EsmStatus => ({
  uuid: 'u',
  state: 'Enabled',
  stateTransitionReason: 'USER_INITIATED',
  lastProcessingResult: 'OK',
  lastModified: new Date(NOW - 3_600_000).toISOString(),
  ...extra,
});

/** collectStatus over the stand-in broker; `lookups` records each by-timestamp lookup. */
function collect(
  options: {
    committed?: number;
    checkpointed?: boolean;
    table?: boolean;
    esm?: EsmStatus;
    lookup?: () => Promise<{ partition: number; offset: string }[]>;
  } = {},
) {
  const lookups: number[] = [];
  const base = fakeStatusAdmin();
  const admin = {
    ...base,
    fetchOffsets: async () => [
      {
        topic: 'orders',
        partitions: [{ partition: 0, offset: String(options.committed ?? -1), metadata: null }],
      },
    ],
    fetchTopicOffsetsByTimestamp: async (_topic: string, at?: number) => {
      lookups.push(at ?? Number.NaN);
      return options.lookup ? options.lookup() : [{ partition: 0, offset: '42' }];
    },
  } as unknown as StatusAdmin;
  const checkpoint: Checkpoint = {
    group: 'g',
    epoch: 0,
    requestId: 'r',
    topic: 'orders',
    partition: 0,
    nextOffset: 50,
    updatedAt: new Date(NOW).toISOString(),
  };
  const deps: StatusDeps = {
    admin,
    ...(options.table === false
      ? {}
      : { checkpoints: { listCurrent: async () => (options.checkpointed ? [checkpoint] : []) } }),
    esm: async () => options.esm ?? esm({ startingPosition: 'LATEST' }),
    clock: () => new Date(NOW),
  };
  return { lookups, status: collectStatus(deps, { group: 'g', topic: 'orders', esmUuid: 'u' }) };
}

describe('collectStatus: where a partition without a checkpoint starts', () => {
  it('looks up a LATEST start at the mapping LastModified, and stalls on the records after it', async () => {
    // Act
    const { lookups, status } = collect();
    const result = await status;

    // Assess
    expect(lookups).toEqual([NOW - 3_600_000]);
    expect(result.partitions[0]).toMatchObject({
      committed: null,
      checkpoint: null,
      unprocessedFrom: 42,
      // From where the group starts reading, not the log start: the records before it are no work.
      lag: 8,
    });
    expect(result.verdict.text).toBe(
      'stalled: no checkpoint since the mapping changed 1.0 h ago (partition 0), ESM Enabled, lag 8',
    );
  });

  it('looks up an AT_TIMESTAMP start at its timestamp', async () => {
    // Act
    const at = new Date(NOW - 600_000).toISOString();
    const { lookups, status } = collect({
      esm: esm({ startingPosition: 'AT_TIMESTAMP', startingPositionTimestamp: at }),
    });
    await status;

    // Assess
    expect(lookups).toEqual([NOW - 600_000]);
  });

  it('fails with the broker error when the lookup fails, instead of guessing the start', async () => {
    // Act
    const { status } = collect({ lookup: () => Promise.reject(new Error('ListOffsets timed out')) });

    // Assess
    await expect(status).rejects.toThrow('ListOffsets timed out');
  });

  it.each([
    ['TRIM_HORIZON: the log start', { esm: esm({ startingPosition: 'TRIM_HORIZON' }) }, 0],
    ['no starting position known: the log start', { esm: esm() }, 0],
    ['a commit: from the commit', { committed: 7 }, 7],
  ])('makes no lookup for %s', async (_name, options, from) => {
    // Act
    const { lookups, status } = collect(options);
    const result = await status;

    // Assess
    expect(lookups).toEqual([]);
    expect(result.partitions[0]?.unprocessedFrom).toBe(from);
  });

  it('makes no lookup and sets no unprocessedFrom with a checkpoint item', async () => {
    // Act
    const { lookups, status } = collect({ checkpointed: true });
    const result = await status;

    // Assess
    expect(lookups).toEqual([]);
    expect(result.partitions[0]).not.toHaveProperty('unprocessedFrom');
  });

  it('sets no unprocessedFrom with no checkpoint table, but counts the lag from the LATEST start', async () => {
    // Act
    const { lookups, status } = collect({ table: false });
    const result = await status;

    // Assess
    expect(lookups).toEqual([NOW - 3_600_000]);
    expect(result.partitions[0]).not.toHaveProperty('unprocessedFrom');
    expect(result.partitions[0]?.lag).toBe(8);
  });
});
