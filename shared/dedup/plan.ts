import { inSkipped, type OffsetRange } from '../checkpoints/skipped.ts';
import type { DerivedKey } from '../keys/index.ts';
import type { ParsedBatch, ParsedRecord } from '../msk/index.ts';
import type { DuplicateTier } from '../observability/metric-names.ts';
import { REPLAY_HEADER } from '../quarantine/replay.ts';
import type { BatchKeys } from './batch-keys.ts';
import { ClaimStatus } from './exact.ts';

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

/** Inputs of {@link planBatch}, gathered by the tiers' round trips. */
export interface PlanInputs {
  readonly batch: ParsedBatch;
  /** nextOffset per `topic-partition` from the watermark tier. */
  readonly watermarks: ReadonlyMap<string, number>;
  /** Offsets below a watermark that were never processed (decision 0018): not withheld by it. */
  readonly skipped?: ReadonlyMap<string, readonly OffsetRange[]>;
  /** The batch's keys, slots, claim statuses and local-filter hits (batch-keys.ts). */
  readonly keys: BatchKeys;
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
 *
 * @returns the fate of each record, aligned with `batch.records` (arrays, not maps: a batch holds
 *   up to 10,000 records and this runs on every invocation).
 */
export function planBatch(inputs: PlanInputs): RecordFate[] {
  const { batch } = inputs;
  const slots = inputs.keys.slots;
  const fates = new Array<RecordFate>(batch.records.length);
  // Per slot, the index of the record that owns its key in this batch (-1: none yet).
  const owners = new Int32Array(inputs.keys.statuses.length).fill(-1);
  let i = 0;
  for (const part of batch.partitions) {
    let stopped = false;
    const watermark = inputs.watermarks.get(part.partitionKey) ?? -1;
    const skipped = inputs.skipped?.get(part.partitionKey);
    const records = part.records;
    for (let r = 0; r < records.length; r++) {
      const record = records[r]!;
      if (batch.records[i] !== record) throw new Error('planBatch: batch.records is not partition-ordered');
      const slot = slots[i]!;
      if (record.offset < watermark && !inSkipped(skipped, record.offset)) {
        fates[i] = WITHHELD_WATERMARK;
      } else if (stopped) {
        const key = inputs.keys.keys[i];
        const leased = slot >= 0 && isLeasedBy(inputs, i, slot, owners);
        fates[i] = { kind: 'deferred', key: key?.missing ? undefined : key, leased };
      } else {
        const fate = fateOf(inputs, i, record, slot, owners, fates);
        fates[i] = fate;
        if (fate.kind === 'retry') stopped = true;
      }
      i++;
    }
  }
  return fates;
}

const WITHHELD_WATERMARK: RecordFate = { kind: 'withheld', tier: 'watermark' };
const WITHHELD_BATCH: RecordFate = { kind: 'withheld', tier: 'batch' };
const WITHHELD_EXACT: RecordFate = { kind: 'withheld', tier: 'exact' };
const RETRY_IN_PROGRESS: RecordFate = { kind: 'retry', reason: 'in-progress' };

function isLeasedBy(inputs: PlanInputs, index: number, slot: number, owners: Int32Array): boolean {
  const owner = owners[slot]!;
  if (owner >= 0 && owner !== index) return false;
  owners[slot] = index;
  const status = inputs.keys.statuses[slot];
  return status === ClaimStatus.New || (status === ClaimStatus.Probable && inputs.claimMode === 'exact');
}

/** Whether a record is a replay of a quarantined one: Bloom signals alone never quarantine it again. */
export function isReplay(record: ParsedRecord): boolean {
  // The raw bytes, not a Buffer: probabilistic mode asks this of every record up to three times.
  return record.lastHeaderBytes(REPLAY_HEADER) !== undefined;
}

function fateOf(
  inputs: PlanInputs,
  index: number,
  record: ParsedRecord,
  slot: number,
  owners: Int32Array,
  fates: RecordFate[],
): RecordFate {
  const key = inputs.keys.keys[index];
  if (slot < 0 || key === undefined || key.missing) {
    // Its key function failed: whatever onMissingKey says, the record waits (a key it lacks only
    // for now would let it through undeduplicated); only its partition stops.
    if (key?.missing && key.error) return { kind: 'retry', reason: 'missing-key', error: key.error };
    return inputs.onMissingKey === 'reject'
      ? { kind: 'retry', reason: 'missing-key', error: inputs.missingKeyError(record) }
      : { kind: 'process', key: undefined, leased: false, probable: false };
  }
  const owner = owners[slot]!;
  if (owner >= 0 && owner !== index) {
    // An operator's replay is processed even when an earlier copy of its key in this batch was just
    // quarantined: that copy stays in quarantine, and the key's lease passes to the replay.
    const first = fates[owner];
    if (first?.kind !== 'quarantine' || !isReplay(record)) return WITHHELD_BATCH;
    fates[owner] = { kind: 'quarantine', key: first.key, leased: false };
  }
  owners[slot] = index;

  const quarantines = inputs.mode === 'probabilistic' && !isReplay(record);
  const seen = inputs.keys.locallySeen[slot] === 1;
  if (inputs.degraded) {
    if (seen && quarantines) return { kind: 'quarantine', key, leased: false };
    return { kind: 'process', key, leased: false, probable: seen };
  }
  if (quarantines && seen) {
    return { kind: 'quarantine', key, leased: false };
  }
  switch (inputs.keys.statuses[slot]) {
    case ClaimStatus.Duplicate:
      return WITHHELD_EXACT;
    case ClaimStatus.InProgress:
      return RETRY_IN_PROGRESS;
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
