/** The dedup bench's tables: ms per batch per row, the Powertools ratio, and the steady-state columns. */
import type { Column, Row, Table } from './table.ts';

/** How the rows were run, for the titles. */
export interface DedupRunShape {
  readonly duplicateShare: number;
  readonly partitions: number;
  readonly sizes: readonly number[];
  /** `--previous-bucket` keys (0: none). */
  readonly previousKeys: number;
  /** `--steady-state`: the rate the buckets were filled for, keys/s. */
  readonly steadyRate?: number;
}

const STEADY_COLUMNS: readonly Column[] = [
  { key: 'previousBucket', header: 'previous bucket', align: 'right' },
  { key: 'currentBucket', header: 'current bucket', align: 'right' },
  { key: 'bytesPerKey', header: 'B/key', align: 'right' },
  { key: 'redisMs', header: 'Redis ms', align: 'right' },
  { key: 'fillSeconds', header: 'fill s', align: 'right' },
  { key: 'otherMB', header: 'other MB', align: 'right' },
];

/** The tables of a run: the Powertools ratio only when both its rows ran (an A/B run of mskguard alone prints one). */
export function dedupTables(rows: readonly Row[], shape: DedupRunShape): Table[] {
  const steady = shape.steadyRate !== undefined;
  const context = steady
    ? `, steady state at ${shape.steadyRate?.toLocaleString('en-US')} keys/s`
    : shape.previousKeys > 0
      ? `, previous bucket of ${shape.previousKeys.toLocaleString('en-US')} keys`
      : '';
  const main: Table = {
    title: `dedup: ms per batch (median), ${shape.duplicateShare * 100}% duplicates, ${shape.partitions} partitions, no-op handler${context}`,
    columns: [
      { key: 'impl', header: 'impl' },
      { key: 'batch', header: 'batch', align: 'right' },
      { key: 'ms', header: 'ms', align: 'right' },
      { key: 'cpuMs', header: 'client CPU ms', align: 'right' },
      { key: 'roundTrips', header: 'round trips', align: 'right' },
      { key: 'allocatedKB', header: 'KB allocated', align: 'right' },
      { key: 'requestKB', header: 'KB sent', align: 'right' },
      { key: 'replyKB', header: 'KB received', align: 'right' },
      ...(steady ? STEADY_COLUMNS : []),
    ],
    rows,
    notes: [
      'KB sent/received: one untimed batch, its script calls as Upstash REST request and reply bodies (JSON)',
      ...(steady
        ? [
            'previous/current bucket: keys the group held in its two buckets before the first batch (filled by the claim and complete scripts)',
            'B/key: INFO memory used_memory after the fill minus before, over the keys filled (summed over the nodes of a cluster)',
            'Redis ms: INFO commandstats usec of EVAL + EVALSHA around the timed batch (claim + complete), median',
            'other MB: INFO memory used_memory before the fill: data the node already held; lookups are slower on a fuller node',
          ]
        : []),
    ],
  };
  const hasBoth = rows.some((r) => r.impl === 'powertools') && rows.some((r) => r.impl === 'mskguard-resp');
  if (!hasBoth) return [main];
  const ratio = (size: number) => {
    const peer = rows.find((r) => r.impl === 'powertools' && r.batch === size)?.ms as number;
    const ours = rows.find((r) => r.impl === 'mskguard-resp' && r.batch === size)?.ms as number;
    return Math.round(peer / ours);
  };
  return [
    main,
    {
      title: 'dedup: powertools / mskguard-resp',
      columns: [
        { key: 'batch', header: 'batch', align: 'right' },
        { key: 'speedup', header: 'times faster', align: 'right' },
      ],
      rows: shape.sizes.map((batch) => ({ batch, speedup: ratio(batch) })),
    },
  ];
}
