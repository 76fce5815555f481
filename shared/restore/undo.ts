import type { AuditRecord, AuditStore } from './audit.ts';
import { AuditMismatchError, UndoNotPossibleError, UnknownRestoreIdError } from './errors.ts';
import { REQUEST_INPUT_NAMES, type RestoreInputNames } from './input-names.ts';
import { formatOffsetsCsv } from './offsets-csv.ts';
import type { ExplicitOffset, PartitionRange, RestoreRequest } from './types.ts';

/** Up to this many partitions, the refusal of an unfinished restore also prints a ready `--offsets` command. */
const INLINE_OFFSETS = 50;

/** What `restore undo` is asked: the restore to revert, for which group and topic, and how. */
export interface UndoAsk {
  readonly restoreId: string;
  readonly group: string;
  readonly topic: string;
  readonly execute?: boolean;
  readonly clamp?: boolean;
  readonly esmUuid?: string;
  readonly requestedBy?: string;
}

/**
 * Turns an audited restore into the request that reverts it: strategy `undo`, targets = the
 * offsets the group had committed when that restore was planned (its audit item's plan rows).
 * Refuses, changing nothing, when the item is of another group or topic, when that restore wrote
 * no offsets (refused, or failed before the commit), when its item records no result (still
 * running, or stopped before completing it: what it changed is unknown), or when a partition had no
 * committed offset before it (Kafka has no "uncommitted" offset to put back: delete it with
 * kafka-consumer-groups --delete-offsets instead).
 *
 * @example
 * ```ts
 * const request = undoRequest(await audit.find(id), { restoreId: id, group: 'orders', topic: 'orders' });
 * await runRestore(request, deps);
 * ```
 */
export function undoRequest(
  record: AuditRecord | null,
  ask: UndoAsk,
  names: RestoreInputNames = REQUEST_INPUT_NAMES,
): RestoreRequest {
  if (!record) {
    throw new UnknownRestoreIdError(
      `No audit item has restoreId ${ask.restoreId}: check the id (printed by the restore and stored in the audit ` +
        `table) and ${names.auditTable}.`,
    );
  }
  if (record.group !== ask.group || record.topic !== ask.topic) {
    throw new AuditMismatchError(
      `Restore ${ask.restoreId} was of group ${record.group}, topic ${record.topic}, not ${ask.group}/${ask.topic}. ` +
        'Nothing was changed: pass the group and topic of that restore.',
    );
  }
  if (!record.result) throw withoutResult(record, ask);
  if (record.result.applied.length === 0) {
    throw new UndoNotPossibleError(
      `Restore ${ask.restoreId} ended ${record.result.status} before writing offsets: it changed no offsets, so ` +
        'there is nothing to undo.',
    );
  }
  const uncommitted = record.plan.rows.filter((r) => r.committed === null).map((r) => r.partition);
  if (uncommitted.length > 0) {
    throw new UndoNotPossibleError(
      `Before restore ${ask.restoreId}, group ${ask.group} had no committed offset on partition(s) ` +
        `${uncommitted.join(', ')}: undo cannot put "no offset" back. Nothing was changed. To remove the ` +
        `group's offsets use: kafka-consumer-groups --delete-offsets --group ${ask.group} --topic ${ask.topic}`,
    );
  }
  return {
    group: ask.group,
    topic: ask.topic,
    strategy: 'undo',
    undoes: ask.restoreId,
    offsets: record.plan.rows.map((r) => ({ partition: r.partition, offset: r.committed! })),
    mode: 'recover',
    clamp: ask.clamp === true,
    execute: ask.execute === true,
    ...(ask.esmUuid ? { esmUuid: ask.esmUuid } : {}),
    ...(ask.requestedBy ? { requestedBy: ask.requestedBy } : {}),
    // A restore of some partitions is undone on those partitions only.
    ...(record.plan.partitions ? { partitions: record.plan.partitions } : {}),
  };
}

/**
 * The refusal to undo a restore whose item records no result. A run stopped after its commit (a
 * timeout, a crash, an audit update that failed) leaves the item `running` with the offsets already
 * moved, so this is not "no change", and the operator needs the offsets from before it. For a plan
 * of more than ~500 partitions they are only in gzipped chunk items (decision 0025): the refusal is
 * the one place they can be read, and through the restore Lambda its answer is the only channel, so
 * the answer carries them all as the CSV `restore file --from-file` reads (`hint`, `.error.hint` of
 * `--json`). The message stays short: partition ranges, and a ready command for a small plan.
 */
function withoutResult(record: AuditRecord, ask: UndoAsk): UndoNotPossibleError {
  const known = record.plan.rows.filter((r) => r.committed !== null);
  const offsets: ExplicitOffset[] = known.map((r) => ({ partition: r.partition, offset: r.committed! }));
  const none = record.plan.rows.filter((r) => r.committed === null).map((r) => r.partition);
  const target = `--group ${ask.group} --topic ${ask.topic}`;
  // `restore file --from-file` restores the whole topic unless told which partitions the file covers.
  const covers =
    record.plan.partitions || none.length > 0
      ? ` --partitions ${rangesOf(offsets.map((o) => o.partition)).join(',')}`
      : '';
  const where =
    offsets.length === 0
      ? ''
      : offsets.length <= INLINE_OFFSETS
        ? ` Dry run, compare with the offsets now, then add --execute: mskguard restore file ${target} --offsets ` +
          `${offsets.map((o) => `${o.partition}=${o.offset}`).join(',')}`
        : ' They follow as CSV lines (the hint; `.error.hint` with --json). To put them back: mskguard restore ' +
          `undo ${ask.restoreId} ${target} --json | jq -r .error.hint > before.csv, then mskguard restore file ` +
          `${target} --from-file before.csv${covers} (a dry run; compare with the offsets now, then add --execute).`;
  const message =
    `Restore ${ask.restoreId} is ${record.status} and its audit item records no result: it is still running, or ` +
    'it stopped (a timeout or crash) before completing the item, possibly after committing offsets. Undo ' +
    'needs the result to know what that restore changed. Nothing was changed. Before it, the group had ' +
    `committed ${offsets.length} partition(s)${offsets.length ? ` (${shownRanges(offsets.map((o) => o.partition))})` : ''}` +
    (none.length ? `; partition(s) ${shownRanges(none)} had no committed offset` : '') +
    `.${where}`;
  return Object.assign(new UndoNotPossibleError(message), {
    /** The toResponse of the restore engine copies `hint` into the answer, in text and --json. */
    hint: formatOffsetsCsv({
      topic: record.topic,
      rows: known.map((r) => ({ ...r, target: r.committed })),
    }).trimEnd(),
    offsets,
  });
}

/** Ranges shown before the rest is only counted: a `--partitions` list can be scattered. */
const MAX_RANGES = 20;

/** Sorted partition numbers as ranges (`0-3`, `7`): bounded text for a topic of any size. */
function rangesOf(partitions: readonly number[]): string[] {
  const sorted = [...partitions].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    ranges.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return ranges;
}

/** Partitions for reading: at most {@link MAX_RANGES} ranges, the rest counted. */
function shownRanges(partitions: readonly number[]): string {
  const ranges = rangesOf(partitions);
  const more = ranges.length - MAX_RANGES;
  return more > 0 ? `${ranges.slice(0, MAX_RANGES).join(', ')} and ${more} more range(s)` : ranges.join(', ');
}

/** Reads the audit item and builds the undo request ({@link undoRequest}). */
export async function planUndoRequest(
  audit: AuditStore,
  ask: UndoAsk,
  names?: RestoreInputNames,
): Promise<RestoreRequest> {
  if (!audit.find) throw new UndoNotPossibleError('This audit store cannot look restores up by id.');
  return undoRequest(await audit.find(ask.restoreId), ask, names);
}

/**
 * An undo of a whole-topic restore after partitions were added to the topic: the audit item names
 * the partitions that restore moved, and the new ones had nothing to do with it. Without this the
 * undo was refused with advice to pass --partitions, which undo does not take, so a restore could
 * never be undone once the topic grew. Returns the request limited to the audited partitions and a
 * warning naming the new ones, or `null` when nothing changes. A partition the audit item names that
 * the topic lacks is not handled here: the source refuses it (the topic was recreated).
 */
export function undoOfGrownTopic(
  request: RestoreRequest,
  topicPartitions: readonly PartitionRange[],
): { request: RestoreRequest; warning: string } | null {
  if (request.strategy !== 'undo' || request.partitions || !request.offsets) return null;
  const audited = new Set(request.offsets.map((o) => o.partition));
  const topic = new Set(topicPartitions.map((r) => r.partition));
  if ([...audited].some((p) => !topic.has(p))) return null;
  const added = [...topic].filter((p) => !audited.has(p));
  if (added.length === 0) return null;
  return {
    request: { ...request, partitions: [...audited].sort((a, b) => a - b) },
    warning:
      `partition(s) ${added.join(', ')} of ${request.topic} were added since restore ${request.undoes}: ` +
      'the undo leaves them alone (they keep their committed offsets)',
  };
}
