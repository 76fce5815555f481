import { ClaimStatus } from '#shared/dedup/redis-tier.ts';
import type { DerivedKey, KeyResult } from '#shared/keys/index.ts';
import type { ParsedBatch, ParsedRecord } from '#shared/msk/index.ts';
import type { DuplicateTier } from '#shared/observability/metric-names.ts';
import { REPLAY_HEADER } from '#shared/quarantine/replay.ts';

/** What happens to one record of a batch. */
export type RecordFate =
  /** Handed to the handler. `leased`: this invocation holds its key in the exact tier. */
  | {
      readonly kind: 'process';
      readonly key: DerivedKey | undefined;
      readonly leased: boolean;
      readonly probable: boolean;
    }
  /** A proven duplicate: withheld, and done as far as the checkpoint is concerned. */
  | { readonly kind: 'withheld'; readonly tier: DuplicateTier }
  /** Probable duplicate in probabilistic mode: stored in quarantine, withheld. */
  | { readonly kind: 'quarantine'; readonly key: DerivedKey; readonly leased: boolean }
  /** Must be delivered again later: its partition stops here (reported as a batch item failure). */
  | { readonly kind: 'retry'; readonly reason: 'in-progress' | 'missing-key'; readonly error?: Error }
  /** Comes after a `retry` in its partition: not processed now; Lambda redelivers it. */
  | { readonly kind: 'deferred'; readonly key: DerivedKey | undefined; readonly leased: boolean };

/** Inputs of {@link planBatch}, gathered by the middleware's round trips. */
export interface PlanInputs {
  readonly batch: ParsedBatch;
  /** nextOffset per `topic-partition` from the watermark tier. */
  readonly watermarks: ReadonlyMap<string, number>;
  /** Key of every record not below its watermark, in `batch.records` order of those records. */
  readonly keys: ReadonlyMap<ParsedRecord, KeyResult>;
  /** Claim status per key id (only keys that were claimed). */
  readonly claims: ReadonlyMap<string, ClaimStatus>;
  /** Key ids the local filter has seen (degraded mode and the probabilistic fast path). */
  readonly locallySeen: ReadonlySet<string>;
  readonly mode: 'exact' | 'probabilistic';
  /** The mode the claim ran in: 'exact' also leases probable keys. */
  readonly claimMode: 'exact' | 'probabilistic';
  /** True when the exact tier was unreachable and `onCacheUnavailable` is `'degrade'`. */
  readonly degraded: boolean;
  readonly onMissingKey: 'process' | 'reject';
  readonly missingKeyError: (record: ParsedRecord) => Error;
}

/**
 * Decides the fate of every record, partition by partition in offset order (design §4–§5):
 * watermark first, then duplicates within the batch (first occurrence wins), then the exact tier,
 * then Bloom signals. A record that must wait (IN_PROGRESS elsewhere, or rejected for a missing
 * key) stops its partition: everything after it is deferred, because Lambda redelivers a Kafka
 * partition from the first failed offset.
 */
export function planBatch(inputs: PlanInputs): Map<ParsedRecord, RecordFate> {
  const fates = new Map<ParsedRecord, RecordFate>();
  const firstOwner = new Map<string, ParsedRecord>();
  for (const part of inputs.batch.partitions) {
    let stopped = false;
    const watermark = inputs.watermarks.get(part.partitionKey) ?? -1;
    for (const record of part.records) {
      if (record.offset < watermark) {
        fates.set(record, { kind: 'withheld', tier: 'watermark' });
        continue;
      }
      const key = inputs.keys.get(record);
      if (stopped) {
        const leased = key !== undefined && !key.missing && isLeasedBy(inputs, record, key, firstOwner);
        fates.set(record, { kind: 'deferred', key: key?.missing ? undefined : key, leased });
        continue;
      }
      const fate = fateOf(inputs, record, key, firstOwner);
      fates.set(record, fate);
      if (fate.kind === 'retry') stopped = true;
    }
  }
  return fates;
}

function isLeasedBy(
  inputs: PlanInputs,
  record: ParsedRecord,
  key: DerivedKey,
  first: Map<string, ParsedRecord>,
) {
  if (first.has(key.id) && first.get(key.id) !== record) return false;
  first.set(key.id, record);
  const status = inputs.claims.get(key.id);
  return status === ClaimStatus.New || (status === ClaimStatus.Probable && inputs.claimMode === 'exact');
}

/** Whether a record is a replay of a quarantined one: Bloom signals alone never quarantine it again. */
export function isReplay(record: ParsedRecord): boolean {
  return record.lastHeader(REPLAY_HEADER) !== undefined;
}

function fateOf(
  inputs: PlanInputs,
  record: ParsedRecord,
  key: KeyResult | undefined,
  first: Map<string, ParsedRecord>,
): RecordFate {
  if (key === undefined || key.missing) {
    return inputs.onMissingKey === 'reject'
      ? { kind: 'retry', reason: 'missing-key', error: inputs.missingKeyError(record) }
      : { kind: 'process', key: undefined, leased: false, probable: false };
  }
  const owner = first.get(key.id);
  if (owner !== undefined && owner !== record) return { kind: 'withheld', tier: 'batch' };
  first.set(key.id, record);

  const quarantines = inputs.mode === 'probabilistic' && !isReplay(record);
  if (inputs.degraded) {
    const seen = inputs.locallySeen.has(key.id);
    if (seen && quarantines) return { kind: 'quarantine', key, leased: false };
    return { kind: 'process', key, leased: false, probable: seen };
  }
  if (quarantines && inputs.locallySeen.has(key.id)) {
    return { kind: 'quarantine', key, leased: false };
  }
  switch (inputs.claims.get(key.id)) {
    case ClaimStatus.Duplicate:
      return { kind: 'withheld', tier: 'exact' };
    case ClaimStatus.InProgress:
      return { kind: 'retry', reason: 'in-progress' };
    case ClaimStatus.Probable:
      return quarantines
        ? { kind: 'quarantine', key, leased: inputs.claimMode === 'exact' }
        : { kind: 'process', key, leased: true, probable: true };
    case ClaimStatus.New:
      return { kind: 'process', key, leased: true, probable: false };
    default:
      throw new Error(`no claim status for key ${key.id} of ${record.coordinate}`);
  }
}
