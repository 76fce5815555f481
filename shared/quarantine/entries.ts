import type { RecordFate } from '../dedup/plan.ts';
import type { ParsedBatch } from '../msk/index.ts';
import type { QuarantineInput } from './types.ts';

/**
 * The quarantine entries of a batch: every record whose fate is `quarantine` (a probable duplicate
 * in probabilistic mode), with what is needed to replay it. A record is withheld only once its
 * entry is stored (G2).
 */
export function quarantineEntries(
  group: string,
  batch: ParsedBatch,
  fates: readonly RecordFate[],
): QuarantineInput[] {
  const entries: QuarantineInput[] = [];
  for (let i = 0; i < fates.length; i++) {
    const fate = fates[i]!;
    if (fate.kind !== 'quarantine') continue;
    const record = batch.records[i]!;
    entries.push({
      group,
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      key: record.raw.key ?? null,
      value: record.raw.value ?? null,
      headers: record.headers,
      idempotencyKey: fate.key.id,
      reason: 'probable-duplicate',
    });
  }
  return entries;
}
