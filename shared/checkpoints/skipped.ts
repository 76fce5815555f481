import { InvalidCheckpointError } from './errors.ts';

/**
 * Offsets below a checkpoint that were never processed (docs/decisions/0018-skipped-offsets.md).
 * A checkpoint says "everything below nextOffset was processed", but Lambda moves a partition on
 * after its bounded retries (the batch goes to the on-failure destination), and the next batch's
 * checkpoint then passes offsets no handler saw. Such a range is kept on the checkpoint, so that a
 * `recover` rewind delivers it to the handler instead of withholding it as already processed.
 */
export interface OffsetRange {
  /** The range's first offset. */
  readonly first: number;
  /** Its last offset (inclusive). */
  readonly last: number;
}

/**
 * At most this many ranges per partition: the newest are kept. Transaction markers and compaction
 * also leave gaps (with no record in them, so redelivering them is harmless), and a partition
 * written by a transactional producer would otherwise grow its checkpoint item without bound.
 */
export const MAX_SKIPPED_RANGES = 32;

/** Whether `offset` lies in one of `ranges` (sorted, disjoint). */
export function inSkipped(ranges: readonly OffsetRange[] | undefined, offset: number): boolean {
  if (!ranges) return false;
  for (const range of ranges) {
    if (offset < range.first) return false;
    if (offset <= range.last) return true;
  }
  return false;
}

/**
 * The ranges after a batch: `added` joins them, then every offset in `covered` (the offsets the
 * batch delivered or withheld for a reason other than the watermark) leaves them. Sorted, disjoint,
 * adjacent ranges merged, at most {@link MAX_SKIPPED_RANGES} (the highest offsets kept).
 */
export function updateSkipped(
  ranges: readonly OffsetRange[],
  added: OffsetRange | undefined,
  covered: OffsetRange | undefined,
): OffsetRange[] {
  const joined = added ? [...ranges, added].sort((a, b) => a.first - b.first) : [...ranges];
  const merged: OffsetRange[] = [];
  for (const range of joined) {
    const prev = merged[merged.length - 1];
    if (prev && range.first <= prev.last + 1)
      merged[merged.length - 1] = { first: prev.first, last: Math.max(prev.last, range.last) };
    else merged.push(range);
  }
  const left = covered ? merged.flatMap((range) => minus(range, covered)) : merged;
  return left.slice(-MAX_SKIPPED_RANGES);
}

function minus(range: OffsetRange, cut: OffsetRange): OffsetRange[] {
  if (cut.last < range.first || cut.first > range.last) return [range];
  const rest: OffsetRange[] = [];
  if (range.first < cut.first) rest.push({ first: range.first, last: cut.first - 1 });
  if (cut.last < range.last) rest.push({ first: cut.last + 1, last: range.last });
  return rest;
}

/** Whether two range lists are equal. */
export function sameSkipped(a: readonly OffsetRange[], b: readonly OffsetRange[]): boolean {
  return a.length === b.length && a.every((r, i) => r.first === b[i]!.first && r.last === b[i]!.last);
}

/** The ranges as the item stores them: `first-last` joined by commas, e.g. `2-4,9-9`. */
export function formatSkipped(ranges: readonly OffsetRange[]): string {
  return ranges.map((r) => `${r.first}-${r.last}`).join(',');
}

const RANGE = /^(\d{1,16})-(\d{1,16})$/;

/** Inverse of {@link formatSkipped}; throws {@link InvalidCheckpointError} on a malformed value. */
export function parseSkipped(text: string | undefined, where: string): OffsetRange[] {
  if (text === undefined || text === '') return [];
  const ranges = text.split(',').map((part) => {
    const match = RANGE.exec(part);
    const range = match ? { first: Number(match[1]), last: Number(match[2]) } : undefined;
    if (!range || !Number.isSafeInteger(range.last) || range.first > range.last)
      throw new InvalidCheckpointError(
        `${where}: malformed skipped range ${JSON.stringify(part)} in ${JSON.stringify(text)}`,
      );
    return range;
  });
  validateSkipped(ranges, where);
  return ranges;
}

/** Throws {@link InvalidCheckpointError} unless `ranges` are whole, sorted and disjoint. */
export function validateSkipped(ranges: readonly OffsetRange[], where: string): void {
  let floor = -1;
  for (const r of ranges) {
    if (
      !Number.isSafeInteger(r.first) ||
      !Number.isSafeInteger(r.last) ||
      r.first <= floor ||
      r.last < r.first
    ) {
      throw new InvalidCheckpointError(
        `${where}: skipped ranges must be whole offsets, sorted and disjoint, got ${JSON.stringify(ranges)}`,
      );
    }
    floor = r.last;
  }
  if (ranges.length > MAX_SKIPPED_RANGES)
    throw new InvalidCheckpointError(
      `${where}: at most ${MAX_SKIPPED_RANGES} skipped ranges, got ${ranges.length}`,
    );
}
