import type { OffsetRange } from '../checkpoints/skipped.ts';
import type { Checkpoint, CheckpointStore } from '../checkpoints/types.ts';
import { RestoreUsageError } from './errors.ts';
import type { PlanRow } from './types.ts';

/**
 * The store with `listCurrent` answered once per group and topic: the `checkpoint` source (alone
 * or in `auto`) has read the current checkpoints already, and listing their skipped ranges must not
 * read them again. A failed read is remembered too, so it is not retried within one plan.
 */
export function listCurrentOnce(store: CheckpointStore): CheckpointStore {
  const answers = new Map<string, Promise<Checkpoint[]>>();
  return {
    load: (group, partitions) => store.load(group, partitions),
    advance: (group, updates, meta) => store.advance(group, updates, meta),
    listCurrent: (group, topic) => {
      const key = JSON.stringify([group, topic ?? null]);
      let answer = answers.get(key);
      if (!answer) {
        answer = store.listCurrent(group, topic);
        answers.set(key, answer);
      }
      return answer;
    },
    historyAt: (group, topic, at) => store.historyAt(group, topic, at),
    committedOwners: (group, owners) => store.committedOwners(group, owners),
    bumpEpoch: (group, meta) => store.bumpEpoch(group, meta),
  };
}

/** The part of `ranges` a consumer starting at `target` reads again. */
export function skippedFrom(ranges: readonly OffsetRange[], target: number): OffsetRange[] {
  return ranges
    .filter((r) => r.last >= target)
    .map((r) => (r.first >= target ? r : { first: target, last: r.last }));
}

/**
 * The rows of a `recover` plan with the skipped offsets each rewind delivers (decision 0018): a
 * record in a skipped range of the current checkpoint passes the watermark, so the restore gets it
 * processed, and the operator should see which ones before `--execute`.
 *
 * Returns a warning instead when the checkpoints cannot be read: the plan itself does not need
 * them (a `timestamp` or `file` restore), so a broken table must not fail it. Without a checkpoint
 * table (the store then throws {@link RestoreUsageError}) there is nothing to show and nothing to say.
 */
export async function withSkipped(
  rows: readonly PlanRow[],
  store: Pick<CheckpointStore, 'listCurrent'>,
  group: string,
  topic: string,
): Promise<{ rows: readonly PlanRow[]; warning: string | null }> {
  let current: Checkpoint[];
  try {
    current = await store.listCurrent(group, topic);
  } catch (error) {
    if (error instanceof RestoreUsageError) return { rows, warning: null };
    const why = error instanceof Error ? error.message : String(error);
    return { rows, warning: `skipped offsets not shown: cannot read the current checkpoints (${why})` };
  }
  const ranges = new Map(current.map((c) => [c.partition, c.skipped ?? []]));
  const out = rows.map((row) => {
    if (row.target === null) return row;
    const redone = skippedFrom(ranges.get(row.partition) ?? [], row.target);
    return redone.length > 0 ? { ...row, skipped: redone } : row;
  });
  return { rows: out, warning: null };
}
