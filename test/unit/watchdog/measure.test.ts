// Guarantee: none of G1–G6 directly; proves the watchdog's pure decisions (design §8): what counts as lag
// and when a checkpoint is stale (only where records wait beyond it), also when there is none (0024).
import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '#shared/checkpoints/types.ts';
import { checkpointAgeBehind, groupLag } from '#shared/watchdog/measure.ts';

const NOW = Date.parse('2026-12-04T12:00:00Z');
const checkpoint = (partition: number, nextOffset: number, secondsAgo: number): Checkpoint => ({
  group: 'g',
  topic: 't',
  partition,
  nextOffset,
  epoch: 0,
  updatedAt: new Date(NOW - secondsAgo * 1000).toISOString(),
  requestId: 'r',
});

describe('groupLag', () => {
  it.each([
    ['caught up', [{ partition: 0, low: 0, high: 10, committed: 10 }], 0],
    [
      'behind on two partitions',
      [
        { partition: 0, low: 0, high: 10, committed: 4 },
        { partition: 1, low: 0, high: 5, committed: 0 },
      ],
      11,
    ],
    ['no commit counts from the log start', [{ partition: 0, low: 100, high: 130, committed: -1 }], 30],
    [
      'a commit past the end (truncated log) counts 0',
      [{ partition: 0, low: 0, high: 10, committed: 12 }],
      0,
    ],
  ])('%s', (_name, offsets, expected) => {
    expect(groupLag(offsets)).toBe(expected);
  });
});

describe('checkpointAgeBehind', () => {
  it.each([
    ['a quiet partition at its end is never stale', [checkpoint(0, 10, 86_400)], 0, 0],
    ['records beyond a 20-minute-old checkpoint (and none on p1)', [checkpoint(0, 4, 1200)], 1200, 2],
    ['the stalest of the partitions behind', [checkpoint(0, 4, 100), checkpoint(1, 3, 700)], 700, 2],
    ['records and no checkpoint: behind, without an age', [], 0, 2],
  ])('%s', (_name, checkpoints, age, behind) => {
    // Prepare
    const offsets = [
      { partition: 0, low: 0, high: 10, committed: 4 },
      { partition: 1, low: 0, high: 5, committed: 3 },
    ];
    const quiet = checkpoints.length === 1 && checkpoints[0]?.nextOffset === 10;

    // Act
    const result = checkpointAgeBehind(quiet ? offsets.slice(0, 1) : offsets, checkpoints, NOW);

    // Assess
    expect(result).toMatchObject({ ageSeconds: age, partitionsBehind: behind });
  });
});

describe('checkpointAgeBehind without a checkpoint item (decision 0024)', () => {
  const enabledAt = NOW - 3_600_000;
  it.each([
    [
      'records from the log start, never checkpointed: aged from the mapping change',
      [{ partition: 0, low: 0, high: 10, committed: -1 }],
      [],
      { ageSeconds: 3600, partitionsBehind: 1, partitionsWithoutCheckpoint: 1 },
    ],
    [
      'committed at the end, no checkpoint: no work, not behind',
      [{ partition: 0, low: 0, high: 10, committed: 10 }],
      [],
      { ageSeconds: 0, partitionsBehind: 0, partitionsWithoutCheckpoint: 0 },
    ],
    [
      'records beyond the commit, no checkpoint: aged from the mapping change',
      [{ partition: 0, low: 0, high: 10, committed: 7 }],
      [],
      { ageSeconds: 3600, partitionsBehind: 1, partitionsWithoutCheckpoint: 1 },
    ],
    [
      'a commit below a log start that retention emptied: nothing to read',
      [{ partition: 0, low: 50, high: 50, committed: 5 }],
      [],
      { ageSeconds: 0, partitionsBehind: 0, partitionsWithoutCheckpoint: 0 },
    ],
    [
      'LATEST start at the end, history before it: no work',
      [{ partition: 0, low: 0, high: 10, committed: -1, start: 10 }],
      [],
      { ageSeconds: 0, partitionsBehind: 0, partitionsWithoutCheckpoint: 0 },
    ],
    [
      'records after a LATEST start: aged from the mapping change',
      [{ partition: 0, low: 0, high: 12, committed: -1, start: 10 }],
      [],
      { ageSeconds: 3600, partitionsBehind: 1, partitionsWithoutCheckpoint: 1 },
    ],
    [
      'a fresh checkpoint on p0 does not hide p1 that never checkpointed',
      [
        { partition: 0, low: 0, high: 10, committed: 4 },
        { partition: 1, low: 0, high: 5, committed: -1 },
      ],
      [checkpoint(0, 4, 60)],
      { ageSeconds: 3600, partitionsBehind: 2, partitionsWithoutCheckpoint: 1 },
    ],
  ])('%s', (_name, offsets, checkpoints, expected) => {
    // Act
    const result = checkpointAgeBehind(offsets, checkpoints, NOW, enabledAt);

    // Assess
    expect(result).toEqual(expected);
  });

  it('counts a partition without checkpoint as behind, without an age, when the mapping change is unknown', () => {
    // Act
    const result = checkpointAgeBehind([{ partition: 0, low: 0, high: 10, committed: -1 }], [], NOW);

    // Assess
    expect(result).toEqual({ ageSeconds: 0, partitionsBehind: 1, partitionsWithoutCheckpoint: 1 });
  });

  it('never reports a negative age for a mapping changed after the watchdog clock', () => {
    // Act
    const result = checkpointAgeBehind(
      [{ partition: 0, low: 0, high: 10, committed: -1 }],
      [],
      NOW,
      NOW + 5000,
    );

    // Assess
    expect(result.ageSeconds).toBe(0);
  });
});
