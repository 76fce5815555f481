import type { RecordFate } from '../dedup/plan.ts';
import type { SkippedGap } from '../dedup/watermark.ts';

/** How many records of a batch met each fate. */
export interface FateCounts {
  process: number;
  watermark: number;
  batch: number;
  exact: number;
  probable: number;
  inProgress: number;
  quarantined: number;
  deferred: number;
  rejected: number;
}

/** A plain account of one batch before its handler runs: what telemetry logs and counts. */
export interface BatchReport {
  readonly records: number;
  readonly counts: FateCounts;
  /** The cache was unreachable and the batch ran on the local filter. */
  readonly degraded: boolean;
  /** How long the claim waited for other owners' leases to end, ms. */
  readonly leaseWaitMs: number;
  /** Age of the oldest checkpoint of the batch's partitions, seconds (this machine's clock: a metric only). */
  readonly checkpointAgeSeconds: number | undefined;
  /** Offsets each partition moved past since its checkpoint without delivering them (decision 0018). */
  readonly gaps: readonly SkippedGap[];
  /** Time spent before the handler, ms. */
  readonly dedupMs: number;
  /** Why records were rejected for a missing key (`onMissingKey: 'reject'`): one per partition stopped. */
  readonly rejections: readonly string[];
}

/** Counts each fate in one pass over the batch. */
export function countFates(fates: readonly RecordFate[]): FateCounts {
  const counts: FateCounts = {
    process: 0,
    watermark: 0,
    batch: 0,
    exact: 0,
    probable: 0,
    inProgress: 0,
    quarantined: 0,
    deferred: 0,
    rejected: 0,
  };
  for (let i = 0; i < fates.length; i++) {
    const fate = fates[i]!;
    if (fate.kind === 'process') {
      counts.process++;
      if (fate.probable) counts.probable++;
    } else if (fate.kind === 'withheld') {
      counts[fate.tier === 'bloom-local' ? 'quarantined' : fate.tier]++;
    } else if (fate.kind === 'quarantine') {
      counts.quarantined++;
      counts.probable++;
    } else if (fate.kind === 'retry') {
      counts[fate.reason === 'in-progress' ? 'inProgress' : 'rejected']++;
    } else counts.deferred++;
  }
  return counts;
}

/**
 * The messages of the batch's missing-key rejections (`MissingIdempotencyKeyError`: the record and
 * the sources tried; `KeyDerivationError`: the record and the name of what its key function threw). A
 * rejection stops its partition, so there is at most one per partition.
 */
export function rejectionsOf(fates: readonly RecordFate[]): string[] {
  const messages: string[] = [];
  for (let i = 0; i < fates.length; i++) {
    const fate = fates[i]!;
    if (fate.kind === 'retry' && fate.reason === 'missing-key' && fate.error) {
      // The cause's name, not its message: a key function's error may quote the record's payload
      // (JSON.parse's does), and logs must not carry record contents.
      const cause = fate.error.cause instanceof Error ? ` (it threw ${fate.error.cause.name})` : '';
      messages.push(`${fate.error.message}${cause}`);
    }
  }
  return messages;
}

/** Age in seconds of the oldest of `times` (ISO strings), by this machine's clock; a metric only. */
export function oldestAgeSeconds(times: readonly string[]): number | undefined {
  const oldest = Math.min(...times.map((t) => Date.parse(t)).filter((t) => Number.isFinite(t)));
  return Number.isFinite(oldest) ? Math.max(0, (Date.now() - oldest) / 1000) : undefined;
}
