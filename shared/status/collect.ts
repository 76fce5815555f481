import type { Admin } from 'kafkajs';
import type { CheckpointStore } from '../checkpoints/types.ts';
import { firstUnprocessed, startedAtMs } from '../watchdog/measure.ts';
import { GroupNotFoundError, TopicNotFoundError } from './errors.ts';
import type { EsmStatus, GroupStatus, PartitionStatus, StatusThresholds } from './types.ts';
import { DEFAULT_THRESHOLDS } from './types.ts';
import { judge } from './verdict.ts';

/** The kafkajs admin calls status makes. */
export type StatusAdmin = Pick<
  Admin,
  | 'listTopics'
  | 'listGroups'
  | 'fetchTopicOffsets'
  | 'fetchOffsets'
  | 'describeGroups'
  | 'fetchTopicOffsetsByTimestamp'
>;

/** What status reads; each optional source left out shows as `-` (and is not judged). */
export interface StatusDeps {
  readonly admin: StatusAdmin;
  readonly checkpoints?: Pick<CheckpointStore, 'listCurrent'>;
  /** Records of the group in quarantine. */
  readonly quarantineCount?: (group: string) => Promise<number>;
  /** GetEventSourceMapping. */
  readonly esm?: (uuid: string) => Promise<EsmStatus>;
  /** @default () => new Date() */
  readonly clock?: () => Date;
  readonly progress?: (line: string) => void;
}

/** Which group, topic and ESM to look at. */
export interface StatusQuery {
  readonly group: string;
  readonly topic: string;
  readonly esmUuid?: string;
  readonly thresholds?: Partial<StatusThresholds>;
}

/**
 * Reads a group's state from the broker, the checkpoint table, the quarantine table and the Lambda
 * API (in parallel where independent) and judges it. Changes nothing.
 *
 * @example
 * ```ts
 * const status = await collectStatus({ admin, checkpoints, esm }, { group: 'orders-svc', topic: 'orders' });
 * if (!status.verdict.healthy) process.exitCode = 3;
 * ```
 */
export async function collectStatus(deps: StatusDeps, query: StatusQuery): Promise<GroupStatus> {
  const progress = deps.progress ?? (() => {});
  const { group, topic } = query;
  progress(`reading ${topic} and group ${group}`);
  if (!(await deps.admin.listTopics()).includes(topic))
    throw new TopicNotFoundError(
      `Topic ${topic} does not exist on these brokers: check --topic and --brokers.`,
    );
  const [ranges, [entry], groups, described, checkpoints, quarantined, esm] = await Promise.all([
    deps.admin.fetchTopicOffsets(topic),
    deps.admin.fetchOffsets({ groupId: group, topics: [topic] }),
    deps.admin.listGroups(),
    deps.admin.describeGroups([group]),
    deps.checkpoints ? deps.checkpoints.listCurrent(group, topic) : Promise.resolve(null),
    deps.quarantineCount ? deps.quarantineCount(group) : Promise.resolve(null),
    query.esmUuid && deps.esm ? deps.esm(query.esmUuid) : Promise.resolve(null),
  ]);
  const knownToBroker = groups.groups.some((g) => g.groupId === group);
  if (!knownToBroker && (checkpoints ?? []).length === 0) {
    throw new GroupNotFoundError(
      `Consumer group ${group} is unknown to the brokers${deps.checkpoints ? ' and has no checkpoint' : ''}: check --group ` +
        '(the ESM’s consumer group id) and --brokers.',
    );
  }
  const now = (deps.clock ?? (() => new Date()))();
  const committed = new Map(
    (entry?.partitions ?? [])
      .filter((p) => Number(p.offset) >= 0)
      .map((p) => [p.partition, Number(p.offset)]),
  );
  const byPartition = new Map((checkpoints ?? []).map((c) => [c.partition, c]));
  // Where a group without a commit starts reading: its stall (no checkpoint) and its lag count from
  // there, so a LATEST consumer on a topic with history is neither stalled nor lagging for it.
  const starts = await startingOffsets(deps.admin, topic, esm, {
    needed: ranges.some((r) => !committed.has(r.partition) && !byPartition.has(r.partition)),
  });
  const partitions: PartitionStatus[] = ranges
    .map((r) => {
      const low = Number(r.low);
      const high = Number(r.high);
      const c = committed.get(r.partition) ?? null;
      const checkpoint = byPartition.get(r.partition);
      // Without a commit, the group reads from its starting position (never below the log start).
      const from = c ?? Math.max(low, starts?.get(r.partition) ?? low);
      // Without a checkpoint table nothing says a checkpoint is missing: such partitions are not judged.
      const uncovered =
        checkpoints !== null && !checkpoint
          ? {
              unprocessedFrom: firstUnprocessed({
                partition: r.partition,
                low,
                high,
                committed: c ?? -1,
                start: starts?.get(r.partition) ?? low,
              }),
            }
          : {};
      return {
        partition: r.partition,
        committed: c,
        checkpoint: checkpoint?.nextOffset ?? null,
        checkpointAt: checkpoint?.updatedAt ?? null,
        checkpointAgeMs: checkpoint ? Math.max(0, now.getTime() - Date.parse(checkpoint.updatedAt)) : null,
        ...(checkpoint?.skipped?.length ? { skipped: checkpoint.skipped } : {}),
        low,
        high,
        lag: Math.max(0, high - from),
        ...uncovered,
      };
    })
    .sort((a, b) => a.partition - b.partition);
  const group0 = described.groups.find((g) => g.groupId === group);
  const base = {
    group,
    topic,
    readAt: now.toISOString(),
    groupState: knownToBroker ? (group0?.state ?? 'Unknown') : 'Dead',
    members: group0?.members.length ?? 0,
    partitions,
    totalLag: partitions.reduce((sum, p) => sum + p.lag, 0),
    quarantined,
    esm,
  };
  return { ...base, verdict: judge(base, { ...DEFAULT_THRESHOLDS, ...query.thresholds }) };
}

/**
 * Where a group without commits starts reading, per partition, when its mapping starts at LATEST or
 * AT_TIMESTAMP (the watchdog's rule, decision 0024): records before it are not the consumer's work,
 * so a LATEST consumer on a topic with history is not stalled for them. `null`: the log start
 * (TRIM_HORIZON, no ESM read, or no partition needs it). A failed lookup fails status, as any broker
 * read does: guessing the log start could call a consumer stalled, and ignoring it could hide one.
 */
async function startingOffsets(
  admin: StatusAdmin,
  topic: string,
  esm: EsmStatus | null,
  { needed }: { needed: boolean },
): Promise<Map<number, number> | null> {
  const started = startedAtMs(esm);
  if (!needed || started === null) return null;
  const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, started);
  return new Map(offsets.map((o) => [o.partition, Number(o.offset)]));
}
