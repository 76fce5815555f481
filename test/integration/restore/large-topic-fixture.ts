// A topic of thousands of partitions at offsets near 2^40, for the audit-size tests: a stateful
// fake of the broker (the shared local broker cannot hold 10,000 partitions per test cheaply, and
// the audit item's size depends only on the plan and result, not on where offsets were read), the
// group's checkpoints on it, and what planRestore and executePlan need. The audit table is the real
// one on DynamoDB Local.
import { randomUUID } from 'node:crypto';
import type { GroupDescriptions } from 'kafkajs';
import type { AuditStore } from '#shared/restore/audit.ts';
import type { ConsumerOffsetsReader } from '#shared/restore/consumer-offsets-reader.ts';
import type { RestoreDeps } from '#shared/restore/engine.ts';
import type { RestoreAdmin, RestorePlan, RestoreResult } from '#shared/restore/types.ts';
import { MemoryCheckpointStore } from '#shared/testing/memory-checkpoint-store.ts';

/** Offsets start here: 13 digits, as on a long-lived high-volume topic. */
export const OFFSET_BASE = 2 ** 40;
/** A realistic 40-character topic name. */
export const LONG_TOPIC = 'payments.settlement-events.eu-west-1.v02';

/** Deterministic pseudo-random integers (an LCG): offsets that differ like real ones, same every run. */
function numbers(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % below;
  };
}

export interface LargeTopicOptions {
  readonly group: string;
  readonly partitions: number;
  readonly topic?: string;
  /**
   * Checkpoints below the log start (retention deleted what they point at): `auto --at` then
   * rejects checkpoint, history and consumer-offsets per partition and takes timestamp, the
   * plan with the most text per partition.
   */
  readonly staleCheckpoints?: boolean;
  readonly seed?: number;
}

/**
 * The fake broker and checkpoints of one group on a topic of `partitions` partitions. `committed`
 * is what the group has committed; `setOffsets` changes it, `fetchOffsets` reads it back.
 */
export function largeTopic(options: LargeTopicOptions) {
  const topic = options.topic ?? LONG_TOPIC;
  const next = numbers(options.seed ?? 7);
  const ranges = Array.from({ length: options.partitions }, (_, partition) => {
    const low = OFFSET_BASE + next(1_000_000_000);
    return { partition, low, high: low + 1_000_000 + next(100_000_000) };
  });
  const committed = new Map(ranges.map((r) => [r.partition, r.high - next(10_000)]));
  const checkpoints = new MemoryCheckpointStore();
  // One Lambda request id per partition, as a real consumer writes them.
  const start = Date.parse('2026-11-20T08:00:00.000Z');
  ranges.forEach((r) => {
    checkpoints.clock = () => new Date(start + next(86_400_000));
    const nextOffset = options.staleCheckpoints ? r.low - 1 - next(1_000_000) : r.high - next(1_000_000);
    void checkpoints.advance(options.group, [{ topic, partition: r.partition, nextOffset }], {
      requestId: randomUUID(),
      epoch: 0,
    });
  });
  const admin = {
    listTopics: async () => [topic],
    fetchTopicOffsets: async () =>
      ranges.map((r) => ({
        partition: r.partition,
        offset: String(r.high),
        low: String(r.low),
        high: String(r.high),
      })),
    fetchTopicOffsetsByTimestamp: async () =>
      ranges.map((r) => ({ partition: r.partition, offset: String(r.low + 500_000 + (r.partition % 1000)) })),
    describeGroups: async (): Promise<GroupDescriptions> => ({
      groups: [
        { groupId: options.group, protocol: '', protocolType: 'consumer', state: 'Empty', members: [] },
      ],
    }),
    setOffsets: async ({ partitions }: { partitions: { partition: number; offset: string }[] }) => {
      for (const p of partitions) committed.set(p.partition, Number(p.offset));
    },
    fetchOffsets: async () => [
      {
        topic,
        partitions: [...committed].map(([partition, o]) => ({
          partition,
          offset: String(o),
          metadata: null,
        })),
      },
    ],
  } satisfies RestoreAdmin;
  const consumerOffsets: ConsumerOffsetsReader = {
    lastCommitsAt: async () => ({
      commits: new Map(),
      scannedPartition: 17,
      scannedRecords: 0,
      complete: true,
      notes: [],
    }),
  };
  const deps = (audit: AuditStore): RestoreDeps => ({
    admin,
    checkpoints,
    consumerOffsets,
    audit,
    groupPollMs: 1,
  });
  return { topic, ranges, committed, admin, checkpoints, deps };
}

/**
 * The plan `checkpoint` makes on this topic, built directly: planRestore matches candidates to
 * partitions by a linear search, so it takes seconds at 40,000 partitions. Same rows, same text.
 */
export async function checkpointPlanOf(
  topic: ReturnType<typeof largeTopic>,
  group: string,
  restoreId: string,
): Promise<RestorePlan> {
  const current = new Map((await topic.checkpoints.listCurrent(group)).map((c) => [c.partition, c]));
  const rows = topic.ranges.map((r) => {
    const c = current.get(r.partition)!;
    const committed = topic.committed.get(r.partition) ?? null;
    const detail = `checkpoint epoch ${c.epoch} written ${c.updatedAt} (${c.requestId})`;
    return {
      partition: r.partition,
      committed,
      low: r.low,
      high: r.high,
      proposed: c.nextOffset,
      target: c.nextOffset,
      delta: committed === null ? null : c.nextOffset - committed,
      source: 'checkpoint' as const,
      detail,
      clamped: false,
      problem: null,
    };
  });
  return {
    restoreId,
    group,
    topic: topic.topic,
    strategy: 'checkpoint',
    mode: 'recover',
    at: null,
    clamp: false,
    esmUuid: null,
    requestedBy: 'oncall@example.com',
    plannedAt: new Date().toISOString(),
    groupState: 'Empty',
    members: [],
    rows,
    considered: rows.map((r) => ({
      partition: r.partition,
      source: 'checkpoint' as const,
      offset: r.target,
      verdict: 'chosen' as const,
      reason: r.detail,
    })),
    warnings: [],
    refusals: [],
  };
}

/** The result of a run of `plan` that committed every target: what `finish` records for it. */
export function succeededResult(plan: RestorePlan, startedAt: string, finishedAt: string): RestoreResult {
  return {
    restoreId: plan.restoreId,
    status: 'succeeded',
    startedAt,
    finishedAt,
    elapsedMs: 1,
    applied: plan.rows.map((r) => ({ partition: r.partition, offset: r.target! })),
    verified: true,
    esm: null,
    epoch: null,
    audit: 'written',
    steps: [],
    error: null,
  };
}
