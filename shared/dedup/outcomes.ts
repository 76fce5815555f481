import type { DerivedKey } from '../keys/index.ts';
import type { ParsedBatch } from '../msk/index.ts';
import type { RecordFate } from './plan.ts';

/** What settling a batch does with its keys and partitions. */
export interface BatchOutcomes {
  /** Keys processed before their partition's first retry: COMPLETED in the exact tier. */
  readonly completed: DerivedKey[];
  /** Keys leased to this invocation whose records Lambda delivers again: released. */
  readonly released: DerivedKey[];
  /** Per partition key, the offset Lambda redelivers from (the handler's and the guard's own). */
  readonly retry: Map<string, number>;
}

/**
 * After the handler: which keys complete, which are released, and where each partition is
 * retried from (design §5). A processed record succeeded unless its partition is retried from it
 * or an earlier offset (`handlerRetry`, read from the handler's response); a record the guard
 * itself held back (`retry`: IN_PROGRESS elsewhere, a missing key) moves its partition's retry to
 * its offset. The keys of records that did not succeed are released when this invocation leased them.
 *
 * @param repaired keys a dead owner was proven to have committed (in-doubt): always completed.
 */
export function batchOutcomes(
  batch: ParsedBatch,
  fates: readonly RecordFate[],
  handlerRetry: ReadonlyMap<string, number>,
  repaired: readonly DerivedKey[],
): BatchOutcomes {
  const retry = new Map<string, number>(handlerRetry);
  // Sized for the usual case (every record completed) and trimmed: no growth copies.
  const completed = new Array<DerivedKey>(fates.length + repaired.length);
  let done = 0;
  const released: DerivedKey[] = [];
  for (let i = 0; i < fates.length; i++) {
    const fate = fates[i]!;
    const record = batch.records[i]!;
    if (fate.kind === 'retry') {
      const current = retry.get(record.partitionKey);
      if (current === undefined || record.offset < current) retry.set(record.partitionKey, record.offset);
    } else if (
      (fate.kind === 'process' || fate.kind === 'deferred' || fate.kind === 'quarantine') &&
      fate.key
    ) {
      const from = handlerRetry.get(record.partitionKey);
      if (fate.kind === 'process' && (from === undefined || record.offset < from))
        completed[done++] = fate.key;
      else if (fate.leased) released.push(fate.key);
    }
  }
  for (const key of repaired) completed[done++] = key;
  completed.length = done;
  return { completed, released, retry };
}

/** The keys this invocation leased: what it gives back when the whole batch fails. */
export function leasedKeys(fates: readonly RecordFate[]): DerivedKey[] {
  const leased: DerivedKey[] = [];
  for (const fate of fates) if ('leased' in fate && fate.leased && fate.key) leased.push(fate.key);
  return leased;
}
