import type { CheckpointStore } from '../checkpoints/types.ts';
import type { ConsumerOffsetsReader } from './consumer-offsets-reader.ts';
import { PartitionMismatchError, RestoreUsageError } from './errors.ts';
import type {
  Candidate,
  ExplicitOffset,
  PartitionRange,
  ProgressSink,
  RestoreAdmin,
  SourceAnswer,
  TargetSource,
} from './types.ts';

/** What the sources read from. */
export interface SourceContext {
  readonly admin: RestoreAdmin;
  readonly checkpoints: CheckpointStore;
  readonly consumerOffsets: ConsumerOffsetsReader;
  readonly progress?: ProgressSink;
}

/** The question every source answers: a target per partition of `topic` for `group`. */
export interface SourceQuery {
  readonly group: string;
  readonly topic: string;
  /** The partitions restored: the topic's, or those the request selects. */
  readonly partitions: readonly PartitionRange[];
  /** Partitions the topic has that the request leaves alone (`--partitions`): not "unknown". */
  readonly leftAlone?: ReadonlySet<number>;
  /** The resolved `--at`; `null` when not given. */
  readonly at: Date | null;
  /** When the plan was made (consumer-offsets without `--at` reads up to it). */
  readonly now: Date;
  /** Explicit targets (`file`, `undo`); `null` for the other strategies. */
  readonly offsets?: readonly ExplicitOffset[] | null;
  /** Where the explicit targets come from, for the plan's provenance column. */
  readonly offsetsOrigin?: string;
}

/** A source: the targets it can give and why it has none for the other partitions. */
export type TargetSourceFn = (ctx: SourceContext, query: SourceQuery) => Promise<SourceAnswer>;

function answer(
  source: TargetSource,
  query: SourceQuery,
  candidates: readonly Candidate[],
  missingReason: (partition: number) => string,
  notes: readonly string[] = [],
): SourceAnswer {
  const placed = new Set(candidates.map((c) => c.partition));
  const missing = new Map<number, string>();
  for (const { partition } of query.partitions)
    if (!placed.has(partition)) missing.set(partition, missingReason(partition));
  const known = new Set(query.partitions.map((p) => p.partition));
  const extra = candidates
    .filter((c) => !known.has(c.partition) && !query.leftAlone?.has(c.partition))
    .map((c) => c.partition);
  const allNotes = extra.length
    ? [
        ...notes,
        `${source} has entries for partition(s) ${extra.join(', ')} that the topic no longer has: ignored.`,
      ]
    : notes;
  return { source, candidates: candidates.filter((c) => known.has(c.partition)), missing, notes: allNotes };
}

function requireAt(source: TargetSource, query: SourceQuery): Date {
  if (!query.at)
    throw new RestoreUsageError(
      `Strategy ${source} needs --at (ISO-8601 or relative, e.g. --at=-2h or --at 2h).`,
    );
  return query.at;
}

/** `checkpoint`: the current DynamoDB checkpoint of each partition (every record below it was processed). */
export const checkpointSource: TargetSourceFn = async (ctx, query) => {
  const current = await ctx.checkpoints.listCurrent(query.group, query.topic);
  const candidates = current.map((c) => ({
    partition: c.partition,
    offset: c.nextOffset,
    source: 'checkpoint' as const,
    detail: `checkpoint epoch ${c.epoch} written ${c.updatedAt} (${c.requestId})`,
  }));
  return answer(
    'checkpoint',
    query,
    candidates,
    () => 'no checkpoint item (no record of this partition was processed by a guarded handler of this group)',
  );
};

/** `history --at T`: the last checkpoint history item written at or before T. */
export const historySource: TargetSourceFn = async (ctx, query) => {
  const at = requireAt('history', query);
  const items = await ctx.checkpoints.historyAt(query.group, query.topic, at);
  const candidates = items.map((c) => ({
    partition: c.partition,
    offset: c.nextOffset,
    source: 'history' as const,
    detail: `history item written ${c.updatedAt} (epoch ${c.epoch}, ${c.requestId})`,
  }));
  return answer(
    'history',
    query,
    candidates,
    () => `no checkpoint history at or before ${at.toISOString()} (history items expire with their TTL)`,
  );
};

/** `timestamp --at T`: the first offset whose record timestamp is at or after T (broker ListOffsets). */
export const timestampSource: TargetSourceFn = async (ctx, query) => {
  const at = requireAt('timestamp', query);
  const offsets = await ctx.admin.fetchTopicOffsetsByTimestamp(query.topic, at.getTime());
  const byPartition = new Map(offsets.map((o) => [o.partition, Number(o.offset)]));
  const candidates: Candidate[] = [];
  let atLogStart = 0;
  for (const range of query.partitions) {
    const offset = byPartition.get(range.partition);
    if (offset === undefined || offset < 0) continue;
    let detail = `first record at or after ${at.toISOString()}`;
    if (range.high === range.low) detail = 'partition holds no records: its end (high)';
    else if (offset >= range.high)
      detail = `no record at or after ${at.toISOString()}: the end of the log (high)`;
    else if (offset <= range.low) {
      atLogStart++;
      detail = `--at is at or before the earliest retained record: the log start (low)`;
    }
    candidates.push({ partition: range.partition, offset, source: 'timestamp', detail });
  }
  const notes =
    atLogStart > 0
      ? [
          `--at ${at.toISOString()} is at or before the earliest retained record of ${atLogStart} partition(s): ` +
            'their target is the log start; records older than that were deleted by retention and cannot be replayed.',
        ]
      : [];
  return answer(
    'timestamp',
    query,
    candidates,
    () => 'the broker returned no offset for this partition',
    notes,
  );
};

/** `consumer-offsets --at T`: the group's last commit at or before T, decoded from `__consumer_offsets`. */
export const consumerOffsetsSource: TargetSourceFn = async (ctx, query) => {
  const at = query.at ?? query.now;
  const found = await ctx.consumerOffsets.lastCommitsAt(query.group, query.topic, at, ctx.progress);
  const candidates: Candidate[] = [];
  for (const commit of found.commits.values()) {
    if (commit.offset < 0) continue;
    const epoch = commit.leaderEpoch >= 0 ? `, leader epoch ${commit.leaderEpoch}` : '';
    candidates.push({
      partition: commit.partition,
      offset: commit.offset,
      source: 'consumer-offsets',
      detail: `commit at ${new Date(commit.commitTimestamp).toISOString()} (value v${commit.valueVersion}${epoch})`,
    });
  }
  const notes = [
    `read ${found.scannedRecords} record(s) of __consumer_offsets-${found.scannedPartition}`,
    ...found.notes,
  ];
  return answer(
    'consumer-offsets',
    query,
    candidates,
    () =>
      `no commit of the group at or before ${at.toISOString()} is retained in __consumer_offsets (compacted or never made)`,
    notes,
  );
};

/**
 * `file` and `undo`: the targets given in the request. They must name exactly the partitions
 * restored (the topic's, or those the request selects): a partition left out would keep an offset nobody looked at, and an unknown one
 * means the file belongs to another topic (or the topic was recreated).
 */
function explicitSource(source: 'file' | 'undo'): TargetSourceFn {
  return async (_ctx, query) => {
    const offsets = query.offsets ?? [];
    const known = new Set(query.partitions.map((p) => p.partition));
    const given = new Set(offsets.map((o) => o.partition));
    const missing = [...known].filter((p) => !given.has(p));
    const unknown = [...given].filter((p) => !known.has(p));
    if (missing.length > 0 || unknown.length > 0) {
      const parts = [
        missing.length ? `no target for partition(s) ${missing.join(', ')}` : '',
        unknown.length ? `partition(s) ${unknown.join(', ')} that ${query.topic} does not have` : '',
      ].filter(Boolean);
      const restored = [...known].join(', ');
      throw new PartitionMismatchError(
        `The ${source === 'file' ? 'offsets file' : 'audit item'} must name every partition restored of ${query.topic} ` +
          `(${restored}) once: ${parts.join('; ')}. Nothing was changed. To restore only some partitions, ` +
          'pass --partitions (partitions in a Lambda request).',
        missing,
        unknown,
      );
    }
    const origin = query.offsetsOrigin ?? source;
    const candidates = offsets.map((o) => ({
      partition: o.partition,
      offset: o.offset,
      source,
      detail: origin,
    }));
    return answer(source, query, candidates, () => 'not in the offsets given');
  };
}

/** Every source by name. */
export const SOURCES: Readonly<Record<TargetSource, TargetSourceFn>> = {
  checkpoint: checkpointSource,
  history: historySource,
  'consumer-offsets': consumerOffsetsSource,
  timestamp: timestampSource,
  file: explicitSource('file'),
  undo: explicitSource('undo'),
};
