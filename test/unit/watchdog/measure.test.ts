// Guarantee: none of G1–G6 directly; proves the watchdog's pure decisions (design §8): what counts as lag
// and when a checkpoint is stale (only where records wait beyond it).
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
    expect(result).toEqual({ ageSeconds: age, partitionsBehind: behind });
  });
});
