import { formatOffsetRanges } from '../restore/format.ts';
import type { GroupStatus, PartitionStatus } from './types.ts';
import { formatAge } from './verdict.ts';

const HEADERS = ['partition', 'committed', 'checkpoint', 'age', 'log start', 'log end', 'lag'] as const;
const n = new Intl.NumberFormat('en-US');

function cells(p: PartitionStatus, withSkipped: boolean): string[] {
  const base = [
    String(p.partition),
    p.committed === null ? 'none' : n.format(p.committed),
    p.checkpoint === null ? '-' : n.format(p.checkpoint),
    p.checkpointAgeMs === null ? '-' : formatAge(p.checkpointAgeMs),
    n.format(p.low),
    n.format(p.high),
    n.format(p.lag),
  ];
  return withSkipped ? [...base, p.skipped?.length ? formatOffsetRanges(p.skipped, 3) : '-'] : base;
}

/** How the text is decorated: ANSI colours only on a terminal (and without NO_COLOR). */
export interface StatusStyle {
  readonly colour: boolean;
}

/**
 * The status as text: a header, the per-partition table, the group line (state, members,
 * quarantine, ESM), notes, further problems and the verdict last, so `tail -1` is the verdict.
 *
 * @example
 * ```ts
 * process.stdout.write(formatStatus(status, { colour: process.stdout.isTTY }));
 * ```
 */
export function formatStatus(status: GroupStatus, style: StatusStyle): string {
  // The skipped column only when a partition has skipped offsets: usually none has.
  const withSkipped = status.partitions.some((p) => p.skipped?.length);
  const headers: readonly string[] = withSkipped ? [...HEADERS, 'skipped'] : HEADERS;
  const body = status.partitions.map((p) => cells(p, withSkipped));
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (i === HEADERS.length ? v : v.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const esm = status.esm
    ? `ESM ${status.esm.uuid}: ${status.esm.state}` +
      (status.esm.stateTransitionReason ? ` (${status.esm.stateTransitionReason})` : '') +
      `, last processing result: ${status.esm.lastProcessingResult ?? '-'}` +
      // The time partitions without a checkpoint are aged from (decision 0024).
      (status.esm.lastModified ? `, last modified ${status.esm.lastModified}` : '')
    : 'ESM: - (pass --esm-uuid)';
  const quarantine =
    status.quarantined === null ? '- (pass --quarantine-table)' : n.format(status.quarantined);
  const verdict = style.colour
    ? `\u001b[${status.verdict.healthy ? '32' : '31'}m${status.verdict.text}\u001b[0m`
    : status.verdict.text;
  const lines = [
    `group ${status.group}, topic ${status.topic} at ${status.readAt}`,
    '',
    line(headers),
    ...body.map(line),
    '',
    `group state ${status.groupState} (${status.members} member(s)), total lag ${n.format(status.totalLag)}, quarantined ${quarantine}`,
    esm,
    ...status.verdict.notes.map((note) => `note: ${note}`),
    ...status.verdict.problems.slice(1).map((p) => `also: ${p}`),
    verdict,
  ];
  return `${lines.join('\n')}\n`;
}
