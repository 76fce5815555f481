import { SOURCES, type SourceContext, type SourceQuery } from './sources.ts';
import type { Candidate, Consideration, PartitionRange, SourceAnswer, TargetSource } from './types.ts';

/**
 * The policy of `auto`, per partition: the first source in this order whose target lies within the
 * broker's [low, high] wins. Exact sources come first (the checkpoint is the watermark of processed
 * records; its history is the same thing at T); then the broker's own commit log; then record time,
 * which only knows when records were produced, not whether they were processed.
 *
 * Per partition, not per topic, because partitions are independent in Kafka: a partition the
 * guarded handler never processed has no checkpoint, and that must not demote the exact
 * checkpoints of the others to a coarser source.
 */
export const AUTO_ORDER: readonly TargetSource[] = ['checkpoint', 'history', 'consumer-offsets', 'timestamp'];

/** What `auto` decided. */
export interface AutoDecision {
  /** Partition → the chosen in-range candidate. */
  readonly chosen: ReadonlyMap<number, Candidate>;
  /** Partition → the first out-of-range candidate, for partitions with no in-range one (used with --clamp). */
  readonly fallback: ReadonlyMap<number, Candidate>;
  /** Partition → why every source failed it, for partitions with no candidate at all. */
  readonly unresolved: ReadonlyMap<number, string>;
  readonly considered: readonly Consideration[];
  readonly notes: readonly string[];
}

/** Why an offset is outside [low, high], or `null` when it is inside. */
export function rangeProblem(offset: number, range: PartitionRange): string | null {
  if (offset < range.low)
    return `offset ${offset} < low ${range.low} (those records were deleted by retention)`;
  if (offset > range.high)
    return `offset ${offset} > high ${range.high} (beyond the end of the log: was the topic recreated?)`;
  return null;
}

/**
 * Asks the sources in {@link AUTO_ORDER} while some partition has no in-range target yet (a source
 * nothing is left for is not consulted: the consumer-offsets scan is the expensive one), judges
 * each answer for the partitions still open, and records every verdict.
 * Without `--at`, history is "now" (the same as the checkpoint, so skipped), consumer-offsets reads
 * up to now (the last commits before the loss) and timestamp is refused: at "now" it would skip
 * every record not yet processed.
 *
 * @example
 * ```ts
 * const { chosen, considered } = await decideAuto(ctx, query);
 * ```
 */
export async function decideAuto(ctx: SourceContext, query: SourceQuery): Promise<AutoDecision> {
  const chosen = new Map<number, Candidate>();
  const fallback = new Map<number, Candidate>();
  const reasons = new Map<number, string[]>();
  const considered: Consideration[] = [];
  const notes: string[] = [];
  const ranges = new Map(query.partitions.map((r) => [r.partition, r]));
  for (const source of AUTO_ORDER) {
    const open = query.partitions.filter((r) => !chosen.has(r.partition));
    if (open.length === 0) {
      notes.push(`${source}: not consulted (every partition already has an in-range target)`);
      continue;
    }
    const skip = skipReason(source, query);
    // The whole topic is asked (a source's answer costs the same), only open partitions are judged.
    const result = skip ? { error: skip } : await ask(ctx, source, query);
    for (const range of open) {
      if ('error' in result) {
        considered.push({
          partition: range.partition,
          source,
          offset: null,
          verdict: 'rejected',
          reason: result.error,
        });
        pushReason(reasons, range.partition, `${source}: ${result.error}`);
        continue;
      }
      const sourceAnswer = result;
      const candidate = sourceAnswer.candidates.find((c) => c.partition === range.partition);
      if (!candidate) {
        const reason = sourceAnswer.missing.get(range.partition) ?? 'no target';
        considered.push({ partition: range.partition, source, offset: null, verdict: 'rejected', reason });
        pushReason(reasons, range.partition, `${source}: ${reason}`);
        continue;
      }
      const problem = rangeProblem(candidate.offset, ranges.get(range.partition)!);
      considered.push({
        partition: range.partition,
        source,
        offset: candidate.offset,
        verdict: problem ? 'rejected' : 'chosen',
        reason: problem ?? candidate.detail,
      });
      if (problem) {
        if (!fallback.has(range.partition)) fallback.set(range.partition, candidate);
        pushReason(reasons, range.partition, `${source}: ${problem}`);
      } else {
        chosen.set(range.partition, candidate);
        fallback.delete(range.partition);
      }
    }
    if (!('error' in result)) notes.push(...result.notes.map((n) => `${source}: ${n}`));
  }
  const unresolved = new Map<number, string>();
  for (const { partition } of query.partitions) {
    if (!chosen.has(partition) && !fallback.has(partition)) {
      unresolved.set(partition, (reasons.get(partition) ?? []).join('; '));
    }
  }
  return { chosen, fallback, unresolved, considered, notes };
}

function skipReason(source: TargetSource, query: SourceQuery): string | null {
  if (query.at) return null;
  if (source === 'history') return 'needs --at (without it, history is the current checkpoint)';
  if (source === 'timestamp') return 'needs --at (at "now" it would skip every record not yet processed)';
  return null;
}

async function ask(
  ctx: SourceContext,
  source: TargetSource,
  query: SourceQuery,
): Promise<SourceAnswer | { error: string }> {
  try {
    return await SOURCES[source](ctx, query);
  } catch (error) {
    // One broken source (a missing table, a scan timeout) must not hide what the others know.
    return { error: `source unavailable: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function pushReason(reasons: Map<number, string[]>, partition: number, reason: string): void {
  const list = reasons.get(partition) ?? [];
  list.push(reason);
  reasons.set(partition, list);
}
