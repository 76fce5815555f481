import { randomUUID } from 'node:crypto';
import { decideAuto, rangeProblem } from './auto.ts';
import { RestoreUsageError } from './errors.ts';
import { REQUEST_INPUT_NAMES, type RestoreInputNames } from './input-names.ts';
import { parseRestoreRequest } from './request.ts';
import { listCurrentOnce, withSkipped } from './skipped.ts';
import { SOURCES, type SourceContext, type SourceQuery } from './sources.ts';
import { resolveAt } from './time.ts';
import type {
  Candidate,
  Consideration,
  ExplicitOffset,
  PartitionRange,
  PlanRow,
  RestorePlan,
  RestoreRequest,
} from './types.ts';
import { undoOfGrownTopic } from './undo.ts';

/** What planning reads from; nothing here is written to. */
export interface PlanDeps extends SourceContext {
  /** @default () => new Date() */
  readonly clock?: () => Date;
  /** @default randomUUID */
  readonly newId?: () => string;
  /** How messages name the request's inputs. @default REQUEST_INPUT_NAMES (the request's fields) */
  readonly inputNames?: RestoreInputNames;
}

/** The chosen candidate per partition, plus whatever explains the choice. */
interface Targets {
  readonly chosen: ReadonlyMap<number, Candidate>;
  readonly fallback: ReadonlyMap<number, Candidate>;
  readonly unresolved: ReadonlyMap<number, string>;
  readonly considered: readonly Consideration[];
  readonly notes: readonly string[];
}

/**
 * Computes what a restore would do, changing nothing: the broker's [low, high] per partition, the
 * group's committed offsets and members, the target per partition from the strategy, clamping,
 * and every reason `--execute` would be refused.
 *
 * @example
 * ```ts
 * const plan = await planRestore({ group: 'orders', topic: 'orders', strategy: 'auto', at: '-2h' }, deps);
 * process.stdout.write(formatPlan(plan));
 * ```
 */
export async function planRestore(input: RestoreRequest, plainDeps: PlanDeps): Promise<RestorePlan> {
  let request = parseRestoreRequest(input);
  const deps = { ...plainDeps, checkpoints: listCurrentOnce(plainDeps.checkpoints) };
  const mode = request.mode ?? 'recover';
  const now = (deps.clock ?? (() => new Date()))();
  const warnings: string[] = [];
  const resolved = request.at === undefined ? null : resolveAt(request.at, now);
  if (resolved?.warning) warnings.push(resolved.warning);
  const progress = deps.progress ?? (() => {});

  progress(`reading the offsets of ${request.topic} and of group ${request.group}`);
  const topicPartitions = await topicRanges(deps, request.topic);
  const grown = undoOfGrownTopic(request, topicPartitions);
  if (grown) {
    request = grown.request;
    warnings.push(grown.warning);
  }
  const partitions = selected(topicPartitions, request, deps.inputNames ?? REQUEST_INPUT_NAMES);
  const committed = await committedOffsets(deps, request.group, request.topic);
  const group = await describe(deps, request.group);
  const query: SourceQuery = {
    group: request.group,
    topic: request.topic,
    partitions,
    at: resolved?.at ?? null,
    now,
    leftAlone: new Set(topicPartitions.filter((r) => !partitions.includes(r)).map((r) => r.partition)),
    offsets: explicitTargets(request, topicPartitions),
    offsetsOrigin: request.strategy === 'undo' ? `offset before restore ${request.undoes}` : 'offsets file',
  };

  progress(`planning with strategy ${request.strategy}`);
  const targets =
    request.strategy === 'auto' ? await decideAuto(deps, query) : await single(deps, query, request);
  warnings.push(...targets.notes);
  let rows: readonly PlanRow[] = partitions.map((range) =>
    row(range, committed.get(range.partition) ?? null, targets, request.clamp === true),
  );
  // reprocess delivers every record after the target anyway: only recover treats skipped ones apart.
  if (mode === 'recover') {
    const skipped = await withSkipped(rows, deps.checkpoints, request.group, request.topic);
    rows = skipped.rows;
    if (skipped.warning) warnings.push(skipped.warning);
  }
  if (request.partitions) {
    warnings.push(
      `only partition(s) ${request.partitions.join(', ')} of ${request.topic}: the others keep their committed offsets`,
    );
  }
  const refusals = refusalsOf(rows, group.members, request.esmUuid);
  if (group.members.length > 0 && request.esmUuid) {
    warnings.push(
      `group has ${group.members.length} member(s): --execute disables the ESM and waits until it is Empty`,
    );
  }
  return {
    restoreId: (deps.newId ?? randomUUID)(),
    group: request.group,
    topic: request.topic,
    strategy: request.strategy,
    mode,
    at: resolved ? resolved.at.toISOString() : null,
    clamp: request.clamp === true,
    esmUuid: request.esmUuid ?? null,
    requestedBy: request.requestedBy ?? 'unknown',
    plannedAt: now.toISOString(),
    groupState: group.state,
    members: group.members,
    rows,
    considered: targets.considered,
    warnings,
    refusals,
    ...(request.undoes ? { undoes: request.undoes } : {}),
    ...(request.partitions ? { partitions: request.partitions } : {}),
  };
}

/** The ranges of the partitions the request names (all when it names none). */
function selected(
  ranges: PartitionRange[],
  request: RestoreRequest,
  names: RestoreInputNames,
): PartitionRange[] {
  if (!request.partitions) return ranges;
  const known = new Set(ranges.map((r) => r.partition));
  const unknown = request.partitions.filter((p) => !known.has(p));
  if (unknown.length > 0) {
    // An undo restores the partitions its audit item names: the topic was recreated since.
    const from =
      request.strategy === 'undo'
        ? `the partitions of restore ${request.undoes} (its audit item)`
        : names.partitions;
    throw new RestoreUsageError(
      `Topic ${request.topic} has no partition ${unknown.join(', ')} (it has 0-${ranges.length - 1}): check ${from}.`,
    );
  }
  const wanted = new Set(request.partitions);
  return ranges.filter((r) => wanted.has(r.partition));
}

/**
 * Explicit targets (file, undo) of the partitions restored: an exported CSV names every partition,
 * and `--partitions` picks some of them. A partition the topic does not have is kept, so the
 * source still refuses a file of another topic.
 */
function explicitTargets(
  request: RestoreRequest,
  topicPartitions: readonly PartitionRange[],
): readonly ExplicitOffset[] | null {
  if (!request.offsets || !request.partitions) return request.offsets ?? null;
  const wanted = new Set(request.partitions);
  const left = new Set(topicPartitions.map((r) => r.partition).filter((p) => !wanted.has(p)));
  return request.offsets.filter((o) => !left.has(o.partition));
}

async function topicRanges(deps: PlanDeps, topic: string): Promise<PartitionRange[]> {
  // Asked first: for an unknown topic kafkajs retries for seconds and then names no topic.
  if (!(await deps.admin.listTopics()).includes(topic)) {
    throw new RestoreUsageError(
      `Topic ${topic} does not exist on these brokers: check --topic and --brokers.`,
    );
  }
  const offsets = await deps.admin.fetchTopicOffsets(topic);
  return offsets
    .map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
    .sort((a, b) => a.partition - b.partition);
}

async function committedOffsets(deps: PlanDeps, group: string, topic: string): Promise<Map<number, number>> {
  const [entry] = await deps.admin.fetchOffsets({ groupId: group, topics: [topic] });
  const result = new Map<number, number>();
  for (const p of entry?.partitions ?? [])
    if (Number(p.offset) >= 0) result.set(p.partition, Number(p.offset));
  return result;
}

async function describe(deps: PlanDeps, group: string): Promise<{ state: string; members: string[] }> {
  const { groups } = await deps.admin.describeGroups([group]);
  const described = groups.find((g) => g.groupId === group);
  return {
    state: described?.state ?? 'Dead',
    members: (described?.members ?? []).map((m) => `${m.clientId}@${m.clientHost}`),
  };
}

async function single(deps: PlanDeps, query: SourceQuery, request: RestoreRequest): Promise<Targets> {
  const source = request.strategy as Exclude<RestoreRequest['strategy'], 'auto'>;
  const answer = await SOURCES[source](deps, query);
  const chosen = new Map<number, Candidate>();
  const fallback = new Map<number, Candidate>();
  const considered: Consideration[] = [];
  for (const candidate of answer.candidates) {
    const range = query.partitions.find((r) => r.partition === candidate.partition)!;
    const problem = rangeProblem(candidate.offset, range);
    (problem ? fallback : chosen).set(candidate.partition, candidate);
    const verdict = problem ? 'rejected' : 'chosen';
    considered.push({
      partition: candidate.partition,
      source,
      offset: candidate.offset,
      verdict,
      reason: problem ?? candidate.detail,
    });
  }
  for (const [partition, reason] of answer.missing) {
    considered.push({ partition, source, offset: null, verdict: 'rejected', reason });
  }
  const notes = answer.notes.map((n) => `${source}: ${n}`);
  return { chosen, fallback, unresolved: answer.missing, considered, notes };
}

function row(range: PartitionRange, committed: number | null, targets: Targets, clamp: boolean): PlanRow {
  const base = { partition: range.partition, committed, low: range.low, high: range.high };
  const chosen = targets.chosen.get(range.partition);
  if (chosen) return { ...base, ...target(chosen, chosen.offset, committed), clamped: false, problem: null };
  const outOfRange = targets.fallback.get(range.partition);
  if (outOfRange) {
    const problem = rangeProblem(outOfRange.offset, range)!;
    if (clamp) {
      const clamped = Math.min(Math.max(outOfRange.offset, range.low), range.high);
      return { ...base, ...target(outOfRange, clamped, committed), clamped: true, problem: null };
    }
    return {
      ...base,
      proposed: outOfRange.offset,
      target: null,
      delta: null,
      source: outOfRange.source,
      detail: outOfRange.detail,
      clamped: false,
      problem: `${problem}; rerun with --clamp to use ${outOfRange.offset < range.low ? range.low : range.high}`,
    };
  }
  const reason = targets.unresolved.get(range.partition) ?? 'no source has a target';
  return {
    ...base,
    proposed: null,
    target: null,
    delta: null,
    source: null,
    detail: '',
    clamped: false,
    problem: reason,
  };
}

function target(candidate: Candidate, offset: number, committed: number | null) {
  return {
    proposed: candidate.offset,
    target: offset,
    delta: committed === null ? null : offset - committed,
    source: candidate.source,
    detail: candidate.detail,
  };
}

function refusalsOf(
  rows: readonly PlanRow[],
  members: readonly string[],
  esmUuid: string | undefined,
): string[] {
  const refusals: string[] = [];
  const blocked = rows.filter((r) => r.problem !== null);
  if (blocked.length > 0) {
    refusals.push(
      `${blocked.length} partition(s) have no usable target: ${blocked.map((r) => `${r.partition} (${r.problem})`).join('; ')}`,
    );
  }
  if (members.length > 0 && !esmUuid) {
    refusals.push(
      `group has ${members.length} active member(s) (${members.join(', ')}): stop them (or pass --esm-uuid so the ` +
        'restore disables the event source mapping) and retry',
    );
  }
  return refusals;
}
