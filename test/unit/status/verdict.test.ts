// Design §11 (`mskguard status` verdict): each rule that makes a group unhealthy, as a table of
// pure inputs; an idle partition with an old checkpoint stays healthy, and so does one with skipped
// offsets (decision 0018), which get a note naming the recover restore that processes them; a
// partition with work and no checkpoint is stalled once the mapping changed long enough ago (0024).
import { describe, expect, it } from 'vitest';
import type { EsmStatus, GroupStatus, PartitionStatus } from '#shared/status/types.ts';
import { DEFAULT_THRESHOLDS } from '#shared/status/types.ts';
import { judge, skippedNotes } from '#shared/status/verdict.ts';

const MIN = 60_000;
const part = (p: Partial<PartitionStatus> = {}): PartitionStatus => ({
  partition: 0,
  committed: 100,
  checkpoint: 100,
  checkpointAt: '2025-01-01T00:00:00Z',
  checkpointAgeMs: MIN,
  low: 0,
  high: 100,
  lag: 0,
  ...p,
});
const enabled: EsmStatus = {
  uuid: 'u',
  state: 'Enabled',
  stateTransitionReason: 'USER_INITIATED',
  lastProcessingResult: 'OK',
};
function status(
  partitions: PartitionStatus[],
  esm: EsmStatus | null = enabled,
): Omit<GroupStatus, 'verdict'> {
  return {
    group: 'g',
    topic: 't',
    readAt: '2025-01-01T00:00:00Z',
    groupState: 'Empty',
    members: 0,
    partitions,
    totalLag: partitions.reduce((s, p) => s + p.lag, 0),
    quarantined: 0,
    esm,
  };
}

describe('judge', () => {
  it.each([
    ['all caught up', [part()], enabled, 'healthy: ESM Enabled, lag 0, newest checkpoint 1 min old'],
    [
      'idle partition, old checkpoint',
      [part({ checkpointAgeMs: 600 * MIN })],
      enabled,
      'healthy: ESM Enabled, lag 0, newest checkpoint 10.0 h old',
    ],
    [
      'no ESM, no checkpoints',
      [part({ checkpoint: null, checkpointAgeMs: null, lag: 3, committed: 97 })],
      null,
      'healthy: lag 3',
    ],
    [
      'stalled',
      [part({ lag: 52_000, committed: 48_000, high: 100_000, checkpointAgeMs: 20 * MIN })],
      enabled,
      'stalled: checkpoint 20 min old, ESM Enabled, lag 52,000',
    ],
    [
      'lagging',
      [part({ lag: 200_000, high: 200_100 })],
      enabled,
      'lagging: ESM Enabled, lag 200,000 (above 100,000)',
    ],
    [
      'disabled ESM',
      [part()],
      { ...enabled, state: 'Disabled' },
      'esm disabled: ESM Disabled (USER_INITIATED), lag 0',
    ],
    [
      'failing ESM',
      [part()],
      { ...enabled, lastProcessingResult: 'PROBLEM: Lambda failed' },
      'failing: PROBLEM: Lambda failed, lag 0',
    ],
    [
      'offsets lost',
      [part({ committed: null, lag: 100 })],
      enabled,
      'offsets lost: 1 partition(s) have a checkpoint but no committed offset (mskguard restore checkpoint), lag 100',
    ],
    [
      'skipped offsets',
      [part({ skipped: [{ first: 2, last: 4 }] }), part({ partition: 1 })],
      enabled,
      'healthy: ESM Enabled, lag 0, newest checkpoint 1 min old, skipped offsets on partition(s) 0 (see note)',
    ],
    [
      'below log start',
      [part({ committed: 5, low: 10 })],
      enabled,
      'records lost: committed offset below the log start on partition(s) 0',
    ],
  ] as const)('%s', (_name, partitions, esm, text) => {
    // Act
    const verdict = judge(status([...partitions], esm), DEFAULT_THRESHOLDS);

    // Assess
    expect(verdict.text).toBe(text);
    expect(verdict.healthy).toBe(text.startsWith('healthy'));
  });
});

describe('judge: partitions without a checkpoint item (decision 0024)', () => {
  const HOUR = 60 * MIN;
  /** Read at 2025-01-01T00:00:00Z: the mapping changed `ago` ms before. */
  const changed = (ago: number): EsmStatus => ({
    ...enabled,
    lastModified: new Date(Date.parse('2025-01-01T00:00:00Z') - ago).toISOString(),
  });
  /** No checkpoint item; work from `unprocessedFrom` to `high` (100). */
  const bare = (unprocessedFrom: number, p: Partial<PartitionStatus> = {}) =>
    part({ checkpoint: null, checkpointAt: null, checkpointAgeMs: null, unprocessedFrom, ...p });
  it.each([
    [
      'never checkpointed, records from the log start, mapping changed 3.2 h ago',
      [bare(0, { committed: null, lag: 100 }), bare(0, { partition: 1, committed: null, lag: 100 })],
      changed(3.2 * HOUR),
      'stalled: no checkpoint since the mapping changed 3.2 h ago (partitions 0, 1), ESM Enabled, lag 200',
    ],
    [
      'one partition never checkpointed beside a fresh checkpoint',
      [part({ lag: 4, committed: 96 }), bare(40, { partition: 1, committed: 40, lag: 60 })],
      changed(2 * HOUR),
      'stalled: no checkpoint since the mapping changed 2.0 h ago (partition 1), ESM Enabled, lag 64',
    ],
    [
      'a stale checkpoint and a partition that never checkpointed: both named',
      [part({ lag: 4, committed: 96, checkpointAgeMs: 20 * MIN }), bare(90, { partition: 1, lag: 10 })],
      changed(HOUR),
      'stalled: checkpoint 20 min old, no checkpoint since the mapping changed 1.0 h ago (partition 1), ESM Enabled, lag 14',
    ],
    [
      'no work: commits at the end',
      [bare(100, { committed: 100 })],
      changed(24 * HOUR),
      'healthy: ESM Enabled, lag 0',
    ],
    [
      'no work: a LATEST start after the history (lag counts the history)',
      [bare(100, { committed: null, lag: 100 })],
      changed(24 * HOUR),
      'healthy: ESM Enabled, lag 100',
    ],
    [
      'work, mapping changed within the threshold',
      [bare(0, { committed: null, lag: 100 })],
      changed(10 * MIN),
      'healthy: ESM Enabled, lag 100',
    ],
    [
      'work, mapping change unknown: not judged',
      [bare(0, { committed: null, lag: 100 })],
      enabled,
      'healthy: ESM Enabled, lag 100',
    ],
    [
      'work, mapping changed after the read (clock skew)',
      [bare(0, { committed: null, lag: 100 })],
      changed(-5 * MIN),
      'healthy: ESM Enabled, lag 100',
    ],
    [
      'no checkpoint table read (no unprocessedFrom), old mapping: not judged',
      [part({ checkpoint: null, checkpointAt: null, checkpointAgeMs: null, committed: 0, lag: 100 })],
      changed(24 * HOUR),
      'healthy: ESM Enabled, lag 100',
    ],
    [
      'stalled rather than lagging above maxLag',
      [bare(0, { committed: null, high: 200_000, lag: 200_000 })],
      changed(HOUR),
      'stalled: no checkpoint since the mapping changed 1.0 h ago (partition 0), ESM Enabled, lag 200,000',
    ],
  ] as const)('%s', (_name, partitions, esm, text) => {
    // Act
    const verdict = judge(status([...partitions], esm), DEFAULT_THRESHOLDS);

    // Assess
    expect(verdict.text).toBe(text);
    expect(verdict.healthy).toBe(text.startsWith('healthy'));
  });

  it('follows maxCheckpointAgeMs', () => {
    // Act
    const verdict = judge(status([bare(0, { committed: null, lag: 100 })], changed(10 * MIN)), {
      ...DEFAULT_THRESHOLDS,
      maxCheckpointAgeMs: 5 * MIN,
    });

    // Assess
    expect(verdict.text).toBe(
      'stalled: no checkpoint since the mapping changed 10 min ago (partition 0), ESM Enabled, lag 100',
    );
  });
});

describe('skippedNotes', () => {
  const range = (first: number, last: number) => ({ first, last });
  const head = 't-0 skipped offsets';
  it.each([
    [
      'from the first skipped offset',
      [range(2, 4), range(9, 9)],
      0,
      `${head} 2-4, 9`,
      'restore partition 0 to 2',
    ],
    ['from the log start inside a range', [range(2, 4)], 3, `${head} 2-4`, 'restore partition 0 to 3'],
    [
      'past a range retention deleted',
      [range(2, 4), range(7, 8)],
      5,
      `${head} 2-4, 7-8`,
      'restore partition 0 to 7',
    ],
    [
      'all deleted by retention',
      [range(2, 4)],
      10,
      `${head} 2-4`,
      'below the log start 10, deleted by retention',
    ],
    [
      'many ranges, counted beyond 8',
      Array.from({ length: 10 }, (_, i) => range(i * 2, i * 2)),
      0,
      `${head} 0, 2, 4, 6, 8, 10, 12, 14 (+2 more)`,
      'restore partition 0 to 0',
    ],
  ])('%s', (_name, skipped, low, start, action) => {
    // Act
    const notes = skippedNotes(status([part({ skipped, low }), part({ partition: 1 })]));

    // Assess
    expect(notes).toHaveLength(2);
    expect(notes[0]?.startsWith(`${start} (below the checkpoint, never processed): `)).toBe(true);
    expect(notes[0]).toContain(action);
    expect(notes[1]).toMatch(/on-failure destination.*Runbook: .*on-failure-destination\.md$/);
  });

  it('is empty without skipped offsets, and notes stay beside a problem', () => {
    // Act
    const none = judge(status([part()]), DEFAULT_THRESHOLDS);
    const stalled = judge(
      status([part({ lag: 5, committed: 95, checkpointAgeMs: 20 * MIN, skipped: [range(1, 1)] })]),
      DEFAULT_THRESHOLDS,
    );

    // Assess
    expect(none.notes).toEqual([]);
    expect([stalled.healthy, stalled.text, stalled.notes.length]).toEqual([
      false,
      'stalled: checkpoint 20 min old, ESM Enabled, lag 5',
      2,
    ]);
  });
});
