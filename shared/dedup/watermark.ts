import type {
  CheckpointStore,
  CheckpointUpdate,
  PartitionRef,
  WatermarkSnapshot,
} from '../checkpoints/types.ts';
import type { DerivedKey } from '../keys/index.ts';
import type { ParsedBatch } from '../msk/index.ts';
import { ClaimStatus, type TierKey } from './exact.ts';

/**
 * The guard's DynamoDB side, as functions of the checkpoint store: the watermark read before the
 * handler, the checkpoint advances after it, and the verdict on keys a dead invocation held.
 */

/**
 * Starts the watermark read from the event's partition keys and first records, before the full
 * parse. Undefined when there is no store or the event does not look like a Kafka event (the
 * parse then says why). A rejection is observed later, or never if the parse fails.
 */
export function loadEarly(
  store: CheckpointStore | undefined,
  group: string,
  event: unknown,
): { partitions: PartitionRef[]; snapshot: Promise<WatermarkSnapshot> } | undefined {
  const records = (event as { records?: unknown } | null)?.records;
  if (!store || typeof records !== 'object' || records === null) return undefined;
  const partitions: PartitionRef[] = [];
  for (const list of Object.values(records)) {
    if (!Array.isArray(list) || list.length === 0) continue;
    const first = list[0] as { topic?: unknown; partition?: unknown } | null;
    const partition = typeof first?.partition === 'string' ? Number(first.partition) : first?.partition;
    if (
      typeof first?.topic !== 'string' ||
      typeof partition !== 'number' ||
      !Number.isSafeInteger(partition)
    ) {
      return undefined;
    }
    partitions.push({ topic: first.topic, partition });
  }
  const snapshot = store.load(group, partitions);
  snapshot.catch(() => {});
  return { partitions, snapshot };
}

/**
 * Each partition's new checkpoint: its first record Lambda will deliver again (`retry`), or past
 * its last record. Only advances: a partition whose checkpoint would not move is left out.
 */
export function checkpointUpdates(
  batch: ParsedBatch,
  watermarks: ReadonlyMap<string, number>,
  retry: ReadonlyMap<string, number>,
): CheckpointUpdate[] {
  const updates: CheckpointUpdate[] = [];
  for (const part of batch.partitions) {
    const last = part.records[part.records.length - 1];
    if (!last) continue;
    const nextOffset = retry.get(part.partitionKey) ?? last.offset + 1;
    if (
      nextOffset > (watermarks.get(part.partitionKey) ?? -1) &&
      nextOffset > (part.records[0]?.offset ?? 0)
    ) {
      updates.push({ topic: part.topic, partition: part.partition, nextOffset });
    }
  }
  return updates;
}

/**
 * Keys whose last owner died holding the lease (claim status InDoubt): a duplicate if that
 * owner's checkpoint transaction committed (its commit marker exists), new otherwise. One
 * BatchGetItem, only when a crash left such keys. Without a checkpoint store there is no durable
 * record to ask, and they are processed. Updates `statuses` (per slot) and returns the keys
 * proven done, to be completed with this invocation.
 */
export async function settleDoubts(
  store: CheckpointStore | undefined,
  group: string,
  inDoubt: readonly { key: TierKey; index: number; owner: string }[],
  toClaim: readonly number[],
  statuses: (ClaimStatus | undefined)[],
): Promise<DerivedKey[]> {
  if (inDoubt.length === 0) return [];
  const committed = store
    ? await store.committedOwners(
        group,
        inDoubt.map((d) => d.owner),
      )
    : new Set<string>();
  const repaired: DerivedKey[] = [];
  for (const { key, index, owner } of inDoubt) {
    const slot = toClaim[index]!;
    if (committed.has(owner)) {
      statuses[slot] = ClaimStatus.Duplicate;
      repaired.push(key as DerivedKey);
    } else {
      statuses[slot] = ClaimStatus.New;
    }
  }
  return repaired;
}
