/**
 * The per-batch data shaping of the guard engine, on arrays aligned with the batch's records:
 * distinct keys, the records handed on per partition, and small helpers. No I/O here.
 */
import type { PartitionRef } from '../checkpoints/types.ts';
import { DigestIndex } from '../dedup/in-batch.ts';
import type { RecordFate } from '../dedup/plan.ts';
import type { DerivedKey, KeyResult } from '../keys/index.ts';
import type { ParsedBatch, ParsedRecord, PartitionBatch } from '../msk/index.ts';

/** Age in seconds of the oldest of `times` (ISO strings), by this machine's clock; a metric only. */
export function oldestAgeSeconds(times: readonly string[]): number | undefined {
  const oldest = Math.min(...times.map((t) => Date.parse(t)).filter((t) => Number.isFinite(t)));
  return Number.isFinite(oldest) ? Math.max(0, (Date.now() - oldest) / 1000) : undefined;
}

/** The records the handler gets, flat and per partition (batch order, offsets ascending). */
export function processedPartitions(batch: ParsedBatch, fates: readonly RecordFate[]) {
  // Arrays sized before they are filled (no growth copies for 10,000 records): one pass counts
  // each partition's processed records, one fills.
  const counts = new Int32Array(batch.partitions.length);
  let total = 0;
  for (let p = 0, i = 0; p < counts.length; p++) {
    const end = i + batch.partitions[p]!.records.length;
    for (; i < end; i++) if (fates[i]!.kind === 'process') counts[p]!++;
    total += counts[p]!;
  }
  const toProcess = new Array<ParsedRecord>(total);
  const partitions: PartitionBatch[] = [];
  let i = 0;
  let t = 0;
  for (let p = 0; p < counts.length; p++) {
    const part = batch.partitions[p]!;
    const records = part.records;
    if (counts[p] === 0) {
      i += records.length;
      continue;
    }
    const kept = new Array<ParsedRecord>(counts[p]!);
    let k = 0;
    for (let r = 0; r < records.length; r++, i++) {
      if (fates[i]!.kind !== 'process') continue;
      kept[k++] = records[r]!;
      toProcess[t++] = records[r]!;
    }
    partitions.push({
      partitionKey: part.partitionKey,
      topic: part.topic,
      partition: part.partition,
      records: kept,
    });
  }
  return { toProcess, partitions };
}

/**
 * Groups the batch's keys into slots, one per distinct key, first occurrence first. Digests are
 * compared in place in the batch's slab (no id string per record).
 */
export function distinctKeys(keys: readonly KeyResult[]): { slots: Int32Array; slotKeys: DerivedKey[] } {
  const slots = new Int32Array(keys.length);
  // Sized for every key distinct (the usual case), trimmed at the end.
  const slotKeys = new Array<DerivedKey>(keys.length);
  let distinct = 0;
  // One deriver call writes every digest of the batch into one aligned slab (deriver.ts).
  const slab = keys.find((k): k is DerivedKey => !k.missing)?.slab;
  const index = slab === undefined ? undefined : new DigestIndex(slab, keys.length);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key.missing) {
      slots[i] = -1;
      continue;
    }
    if (key.slab !== slab) throw new Error('distinctKeys: the keys of one batch must share one digest slab');
    const slot = index!.slotOf(key.at);
    if (slot === distinct) slotKeys[distinct++] = key;
    slots[i] = slot;
  }
  slotKeys.length = distinct;
  return { slots, slotKeys };
}

/** Whether two partition lists name the same partitions in the same order. */
export function samePartitions(a: readonly PartitionRef[], b: readonly PartitionRef[]): boolean {
  return (
    a.length === b.length && a.every((p, i) => p.topic === b[i]?.topic && p.partition === b[i]?.partition)
  );
}
