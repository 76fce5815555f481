import { formatOffsetRanges } from '../restore/format.ts';
import type { GroupStatus, PartitionStatus, StatusThresholds, Verdict } from './types.ts';

const count = new Intl.NumberFormat('en-US');

/** `45 s`, `14 min`, `3.2 h`, `2.0 d`. */
export function formatAge(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

/**
 * Judges a group at a glance; pure, so every rule is unit-tested in a table. Unhealthy when:
 * - the ESM is not Enabled, or its last processing result is a PROBLEM;
 * - the broker has no committed offsets although checkpoints exist (offsets lost: restore);
 * - a committed offset is below the log start (retention deleted unprocessed records);
 * - a partition with lag has a checkpoint older than `maxCheckpointAgeMs` (stalled: records wait
 *   and nothing is processed; an idle partition with an old checkpoint is fine);
 * - a partition with no checkpoint item has records past where its group reads from, and the
 *   mapping changed longer than `maxCheckpointAgeMs` ago (stalled: it could have checkpointed since
 *   then; decision 0024). Without work it is fine; without the mapping's LastModified (no ESM read)
 *   it has no age and is not judged, as the watchdog gives it none;
 * - the total lag is above `maxLag`.
 *
 * Skipped offsets (decision 0018) are a note, not a problem: transaction markers and compaction
 * leave such gaps routinely and for good (32 kept per partition), so a page on them would never
 * stop; a batch Lambda gave up on already pages through the on-failure destination's alarm.
 *
 * @example
 * ```ts
 * judge(status, DEFAULT_THRESHOLDS).text; // 'stalled: checkpoint 14 min old, ESM Enabled, lag 52,000'
 * // or, for partitions that never checkpointed:
 * // 'stalled: no checkpoint since the mapping changed 3.2 h ago (partitions 0, 1), ESM Enabled, lag 24'
 * ```
 */
export function judge(status: Omit<GroupStatus, 'verdict'>, thresholds: StatusThresholds): Verdict {
  const problems: string[] = [];
  const esm = status.esm;
  const esmText = esm ? `ESM ${esm.state}` : null;
  const lag = `lag ${count.format(status.totalLag)}`;
  const withContext = (head: string) => [head, esmText, lag].filter(Boolean).join(', ');

  if (esm && esm.state !== 'Enabled') {
    const reason = esm.stateTransitionReason ? ` (${esm.stateTransitionReason})` : '';
    problems.push(`esm ${esm.state.toLowerCase()}: ESM ${esm.state}${reason}, ${lag}`);
  }
  if (esm?.lastProcessingResult?.startsWith('PROBLEM'))
    problems.push(`failing: ${esm.lastProcessingResult}, ${lag}`);
  const checkpointed = status.partitions.filter((p) => p.checkpoint !== null);
  const uncommitted = status.partitions.filter((p) => p.committed === null);
  if (checkpointed.length > 0 && uncommitted.length > 0) {
    problems.push(
      `offsets lost: ${uncommitted.length} partition(s) have a checkpoint but no committed offset ` +
        `(mskguard restore checkpoint), ${lag}`,
    );
  }
  const truncated = status.partitions.filter((p) => p.committed !== null && p.committed < p.low);
  if (truncated.length > 0) {
    problems.push(
      `records lost: committed offset below the log start on partition(s) ${truncated.map((p) => p.partition).join(', ')}`,
    );
  }
  const stalled = stalledBecause(status, thresholds);
  if (stalled) problems.push(withContext(`stalled: ${stalled}`));
  if (status.totalLag > thresholds.maxLag && !stalled)
    problems.push(
      `lagging: ${[esmText, `${lag} (above ${count.format(thresholds.maxLag)})`].filter(Boolean).join(', ')}`,
    );
  const notes = skippedNotes(status);
  if (problems.length > 0) return { healthy: false, text: problems[0]!, problems, notes };
  const ages = checkpointed.map((p) => p.checkpointAgeMs!);
  const age = ages.length ? `, newest checkpoint ${formatAge(Math.min(...ages))} old` : '';
  const quarantine = status.quarantined ? `, ${count.format(status.quarantined)} in quarantine` : '';
  const skipped = status.partitions.filter((p) => p.skipped?.length).map((p) => p.partition);
  const skippedText = skipped.length
    ? `, skipped offsets on partition(s) ${skipped.join(', ')} (see note)`
    : '';
  return {
    healthy: true,
    text: `healthy: ${[esmText, lag].filter(Boolean).join(', ')}${age}${quarantine}${skippedText}`,
    problems,
    notes,
  };
}

/**
 * Why records wait and nothing is processed, or `null`: a partition with lag behind a checkpoint
 * older than the threshold, and a partition with work and no checkpoint item under a mapping that
 * changed longer ago than the threshold (from then on it could have checkpointed; decision 0024).
 * Both are named when both hold: a fresh checkpoint elsewhere must not hide a partition that never
 * wrote one.
 */
function stalledBecause(status: Omit<GroupStatus, 'verdict'>, thresholds: StatusThresholds): string | null {
  const max = thresholds.maxCheckpointAgeMs;
  const stale = status.partitions.filter(
    (p) => p.lag > 0 && p.checkpointAgeMs !== null && p.checkpointAgeMs > max,
  );
  const changedAgoMs = mappingChangedAgoMs(status);
  const never =
    changedAgoMs !== null && changedAgoMs > max
      ? status.partitions.filter((p) => p.unprocessedFrom !== undefined && p.unprocessedFrom < p.high)
      : [];
  const causes: string[] = [];
  if (stale.length > 0)
    causes.push(`checkpoint ${formatAge(Math.max(...stale.map((p) => p.checkpointAgeMs!)))} old`);
  if (never.length > 0) {
    const which = `partition${never.length > 1 ? 's' : ''} ${never.map((p) => p.partition).join(', ')}`;
    causes.push(`no checkpoint since the mapping changed ${formatAge(changedAgoMs!)} ago (${which})`);
  }
  return causes.length > 0 ? causes.join(', ') : null;
}

/**
 * How long ago, at `readAt`, the mapping last changed (its LastModified); `null` when status did not
 * read it. Partitions that never checkpointed are aged from it, as by the watchdog (decision 0024).
 */
function mappingChangedAgoMs(status: Pick<GroupStatus, 'readAt' | 'esm'>): number | null {
  const ago = Date.parse(status.readAt) - Date.parse(status.esm?.lastModified ?? '');
  return Number.isFinite(ago) ? ago : null;
}

const RUNBOOK = 'node_modules/mskguard/docs/runbooks/on-failure-destination.md';

/**
 * Per partition with skipped offsets, which ones and the `recover` restore that processes exactly
 * them (decision 0018), then what to check first; empty when none.
 */
export function skippedNotes(status: Pick<GroupStatus, 'group' | 'topic' | 'partitions'>): string[] {
  const notes = status.partitions.filter((p) => p.skipped?.length).map((p) => skippedNote(status, p));
  if (notes.length === 0) return notes;
  return [
    ...notes,
    'skipped offsets: a batch given up after its retries (on-failure destination) leaves them: fix its cause ' +
      'before the restore; transaction markers and compaction leave them too, with no record to process. ' +
      `Runbook: ${RUNBOOK}`,
  ];
}

function skippedNote({ group, topic }: Pick<GroupStatus, 'group' | 'topic'>, p: PartitionStatus): string {
  const ranges = p.skipped ?? [];
  const head = `${topic}-${p.partition} skipped offsets ${formatOffsetRanges(ranges, 8)} (below the checkpoint, never processed)`;
  // Retention may have deleted the first ones: the restore can start no lower than the log start.
  const kept = ranges.find((r) => r.last >= p.low);
  if (!kept) return `${head}: below the log start ${count.format(p.low)}, deleted by retention`;
  const from = Math.max(kept.first, p.low);
  // Recover mode (the default): the rewind withholds what was processed and lets the skipped through.
  return (
    `${head}: to process them, restore partition ${p.partition} to ${from} in recover mode: ` +
    `mskguard restore file --group ${group} --topic ${topic} --offsets ${p.partition}=${from}`
  );
}
