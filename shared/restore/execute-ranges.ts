import { RestoreRefusedError, TargetOutOfRangeError } from './errors.ts';
import type { RestoreAdmin, RestorePlan } from './types.ts';

/**
 * Reads the topic's [low, high] again just before the commit and refuses (nothing written) when a
 * target left it since the plan was made. Without this a target below the log start is committed
 * and verified as "restored", and the consumer then silently resets to earliest/latest
 * (auto.offset.reset): the restore's whole point lost with a success answer.
 *
 * A partition the broker no longer reports is left to the broker: its OffsetCommit refuses an
 * unknown partition itself.
 */
export async function checkRangesNow(
  plan: RestorePlan,
  admin: Pick<RestoreAdmin, 'fetchTopicOffsets'>,
): Promise<void> {
  let now: Awaited<ReturnType<RestoreAdmin['fetchTopicOffsets']>>;
  try {
    now = await admin.fetchTopicOffsets(plan.topic);
  } catch (error) {
    throw new RestoreRefusedError(
      `Could not read the offsets of ${plan.topic} before committing (${(error as Error).message}); nothing was ` +
        'changed. Check that the topic still exists, then plan the restore again.',
      { cause: error },
    );
  }
  const ranges = new Map(now.map((o) => [o.partition, { low: Number(o.low), high: Number(o.high) }]));
  const out = plan.rows.flatMap((row) => {
    const range = ranges.get(row.partition);
    if (!range || row.target === null || (row.target >= range.low && row.target <= range.high)) return [];
    return [{ partition: row.partition, target: row.target, ...range }];
  });
  if (out.length === 0) return;
  const list = out
    .map((o) =>
      o.target < o.low
        ? `partition ${o.partition}: target ${o.target} < low ${o.low} (deleted by retention since the plan)`
        : `partition ${o.partition}: target ${o.target} > high ${o.high} (the log is shorter: was the topic recreated?)`,
    )
    .join('; ');
  throw new TargetOutOfRangeError(
    `The log of ${plan.topic} changed since restore ${plan.restoreId} was planned (${plan.plannedAt}): ${list}. ` +
      'Nothing was changed. Run the restore again to plan again from the current offsets (add --clamp to take ' +
      'the nearest end).',
    out,
  );
}
