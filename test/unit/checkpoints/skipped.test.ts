// The range arithmetic of decision 0018 (shared/checkpoints/skipped.ts).
import { describe, expect, it } from 'vitest';
import { InvalidCheckpointError } from '#shared/checkpoints/errors.ts';
import {
  formatSkipped,
  inSkipped,
  MAX_SKIPPED_RANGES,
  parseSkipped,
  updateSkipped,
} from '#shared/checkpoints/skipped.ts';

const r = (first: number, last: number) => ({ first, last });

describe('updateSkipped', () => {
  it('adds a gap in order and merges adjacent ranges', () => {
    expect(updateSkipped([r(2, 4)], r(5, 6), undefined)).toEqual([r(2, 6)]);
    expect(updateSkipped([r(8, 9)], r(2, 4), undefined)).toEqual([r(2, 4), r(8, 9)]);
  });

  it('removes what a batch covered, splitting a range it covered the middle of', () => {
    expect(updateSkipped([r(2, 4)], undefined, r(2, 7))).toEqual([]);
    expect(updateSkipped([r(2, 9)], undefined, r(4, 5))).toEqual([r(2, 3), r(6, 9)]);
    expect(updateSkipped([r(2, 4), r(8, 9)], undefined, r(3, 8))).toEqual([r(2, 2), r(9, 9)]);
  });

  it('keeps the newest ranges when there are too many', () => {
    const many = Array.from({ length: MAX_SKIPPED_RANGES }, (_, i) => r(i * 10, i * 10));
    const after = updateSkipped(many, r(1000, 1000), undefined);
    expect(after).toHaveLength(MAX_SKIPPED_RANGES);
    expect(after[0]).toEqual(r(10, 10));
    expect(after.at(-1)).toEqual(r(1000, 1000));
  });
});

describe('inSkipped', () => {
  it('finds an offset in a range and only there', () => {
    const ranges = [r(2, 4), r(9, 9)];
    expect([1, 2, 4, 5, 9, 10].map((o) => inSkipped(ranges, o))).toEqual([
      false,
      true,
      true,
      false,
      true,
      false,
    ]);
    expect(inSkipped(undefined, 3)).toBe(false);
  });
});

describe('formatSkipped / parseSkipped', () => {
  it('round-trips', () => {
    const ranges = [r(0, 0), r(2, 4), r(9_007_199_254_740_990, 9_007_199_254_740_990)];
    expect(parseSkipped(formatSkipped(ranges), 'x')).toEqual(ranges);
    expect(parseSkipped(undefined, 'x')).toEqual([]);
  });

  it('names the item and the bad part of a malformed value', () => {
    for (const text of ['2-', 'a-b', '4-2', '2-4,3-5', '5-6,1-2', '2-4;']) {
      expect(() => parseSkipped(text, 'Checkpoint of orders-0')).toThrow(InvalidCheckpointError);
    }
    expect(() => parseSkipped('2-4,x', 'Checkpoint of orders-0')).toThrow(/Checkpoint of orders-0.*"x"/);
  });
});
