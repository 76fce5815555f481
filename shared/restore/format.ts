import type { OffsetRange } from '../checkpoints/skipped.ts';
import { type AnswerOmission, omissionOf } from './compact-answer.ts';
import { formatDuration } from './time.ts';
import type { Consideration, PlanRow, RestorePlan, RestoreResult } from './types.ts';

const HEADERS = ['partition', 'committed', 'low..high', 'target', 'delta', 'source', 'note'] as const;

function cells(row: PlanRow): string[] {
  const delta = row.delta === null ? '-' : row.delta > 0 ? `+${row.delta}` : String(row.delta);
  const note = row.problem
    ? `REFUSED: ${row.problem}`
    : row.clamped
      ? `clamped from ${row.proposed} (${row.detail})`
      : row.detail;
  return [
    String(row.partition),
    row.committed === null ? 'none' : String(row.committed),
    `${row.low}..${row.high}`,
    row.target === null ? '-' : String(row.target),
    delta,
    row.source ?? '-',
    note,
  ];
}

/** Renders rows as an aligned text table (numbers right-aligned, the note column left as is). */
export function formatTable(rows: readonly PlanRow[]): string {
  const body = rows.map(cells);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : i <= 4 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(HEADERS), ...body.map(line)].join('\n');
}

/** `0-3, 5, 7-11`. */
export function formatPartitions(partitions: readonly number[]): string {
  const sorted = [...partitions].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const start = sorted[i]!;
    while (i + 1 < sorted.length && sorted[i + 1] === sorted[i]! + 1) i++;
    parts.push(start === sorted[i] ? String(start) : `${start}-${sorted[i]}`);
  }
  return parts.join(', ');
}

/**
 * `2-4, 9`: offset ranges as an operator reads them. Beyond `max` ranges the rest is counted, not
 * listed: a checkpoint keeps up to 32, and a table cell must stay readable.
 */
export function formatOffsetRanges(ranges: readonly OffsetRange[], max = Number.POSITIVE_INFINITY): string {
  const shown = ranges
    .slice(0, max)
    .map((r) => (r.first === r.last ? String(r.first) : `${r.first}-${r.last}`));
  const more = ranges.length - shown.length;
  return more > 0 ? `${shown.join(', ')} (+${more} more)` : shown.join(', ');
}

/**
 * Explains the choice per partition: the chain of verdicts (`checkpoint rejected: ...; history
 * chosen`), with partitions of identical chains grouped on one line.
 */
export function formatConsidered(considered: readonly Consideration[]): string[] {
  const chains = new Map<number, string[]>();
  for (const c of considered) {
    const text =
      c.verdict === 'chosen'
        ? `${c.source} chosen`
        : `${c.source} ${c.verdict}${c.reason ? ` (${c.reason})` : ''}`;
    chains.set(c.partition, [...(chains.get(c.partition) ?? []), text]);
  }
  const grouped = new Map<string, number[]>();
  for (const [partition, chain] of chains) {
    const key = chain.join('; ');
    grouped.set(key, [...(grouped.get(key) ?? []), partition]);
  }
  return [...grouped]
    .sort(([, a], [, b]) => Math.min(...a) - Math.min(...b))
    .map(([chain, partitions]) => `  partition(s) ${formatPartitions(partitions)}: ${chain}`);
}

/**
 * The dry-run output: a header, the table, why each source was chosen or rejected, warnings, and
 * what would block `--execute`.
 *
 * @example
 * ```ts
 * process.stdout.write(formatPlan(plan));
 * ```
 */
export function formatPlan(plan: RestorePlan): string {
  const at = plan.at ? `, at ${plan.at}` : '';
  const members = plan.members.length
    ? `${plan.members.length} member(s): ${plan.members.join(', ')}`
    : 'no members';
  const lines = [
    `restore plan ${plan.restoreId}`,
    `group ${plan.group}, topic ${plan.topic}, strategy ${plan.strategy}, mode ${plan.mode}${at}${plan.clamp ? ', --clamp' : ''}`,
    `group state ${plan.groupState} (${members})${plan.esmUuid ? `, event source mapping ${plan.esmUuid}` : ''}`,
    '',
  ];
  const omitted = omissionOf(plan);
  if (omitted) lines.push(...omissionLines(omitted));
  else
    lines.push(
      formatTable(plan.rows),
      ...skippedLines(plan.rows),
      '',
      `why (${plan.strategy}):`,
      ...formatConsidered(plan.considered),
    );
  if (plan.warnings.length) lines.push('notes:', ...plan.warnings.map((w) => `  - ${w}`));
  if (plan.refusals.length) lines.push('refused for --execute:', ...plan.refusals.map((r) => `  - ${r}`));
  return `${lines.join('\n')}\n`;
}

const LEFT_OUT_NAMES: Readonly<Record<string, string>> = {
  'plan.rows': 'the table (plan.rows)',
  'plan.considered': 'why each source was chosen (plan.considered)',
  'result.applied': 'the offset committed per partition (result.applied)',
};

const mb = (bytes: number) => `${(bytes / 1_000_000).toFixed(1)} MB`;

/** In place of the table, for an answer too large for Lambda (compact-answer.ts): counts, and where the rest is. */
function omissionLines(o: AnswerOmission): string[] {
  const left = o.fields.map((f) => LEFT_OUT_NAMES[f] ?? f);
  return [
    `${o.moving} of ${o.partitions} partition(s) move${o.refused ? `, ${o.refused} refused` : ''}` +
      `${o.applied === null ? '' : `; ${o.applied} offset(s) committed`}.`,
    `LEFT OUT of this answer: ${left.join(', ')}. The function's full answer is ${mb(o.fullBytes)} of JSON, ` +
      `more than the ${mb(o.limitBytes)} it sends (Lambda answers at most 6 MB).`,
    o.readWith,
  ];
}

/** Under the table: the skipped offsets a recover rewind gets processed (decision 0018). */
function skippedLines(rows: readonly PlanRow[]): string[] {
  const redone = rows.filter((r) => r.skipped?.length);
  if (redone.length === 0) return [];
  return [
    '',
    'skipped offsets this restore gets processed (below the checkpoint but never processed, e.g. a batch',
    'given up after its retries; the watermark lets them through, records processed before stay withheld):',
    ...redone.map((r) => `  partition ${r.partition}: ${formatOffsetRanges(r.skipped!)}`),
  ];
}

/** The outcome of `--execute`: the steps taken and the final state. */
export function formatResult(result: RestoreResult): string {
  const lines = [
    `restore ${result.restoreId}: ${result.status.toUpperCase()}`,
    ...result.steps.map((s) => `  - ${s}`),
  ];
  if (result.epoch !== null) lines.push(`dedup epoch is now ${result.epoch}`);
  if (result.esm?.leftDisabled)
    lines.push(`EVENT SOURCE MAPPING ${result.esm.uuid} IS DISABLED: see the error below.`);
  if (result.error) lines.push(`${result.error.name}: ${result.error.message}`);
  return `${lines.join('\n')}\n`;
}

/** The last line: what happened and how long it took. */
export function summaryLine(plan: RestorePlan, result: RestoreResult | null, elapsedMs: number): string {
  // A compact answer has no rows: its counts stand for them.
  const omitted = omissionOf(plan);
  const moved = omitted?.moving ?? plan.rows.filter((r) => r.delta !== 0).length;
  const total = omitted?.partitions ?? plan.rows.length;
  const applied = omitted?.applied ?? result?.applied.length ?? 0;
  const what = result
    ? `${result.status}: ${applied} partition(s) set${result.verified ? ' and verified' : ''}`
    : plan.refusals.length
      ? `dry run: would be REFUSED (${plan.refusals.length} reason(s)); nothing was changed`
      : `dry run: ${moved} of ${total} partition(s) would move; nothing was changed, add --execute to apply`;
  return `restore ${plan.group}/${plan.topic} ${what} (elapsed ${formatDuration(elapsedMs)})\n`;
}
