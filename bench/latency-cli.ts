/**
 * The latency benchmark's own options (parsed with the shared ones by bench/main.ts) and their
 * validation: `npm run bench -- latency --latencies 0,1,5 --sizes 10000 --peer-records 1000`.
 */
import type { ParseArgsConfig } from 'node:util';
import { batchSizes } from './dedup-cli.ts';

/** Options of the latency benchmark, validated. */
export interface LatencyOptions {
  /** Round-trip latencies to add, in whole ms; 0 is loopback through no proxy at all. */
  readonly latencies: readonly number[];
  /** Batch sizes mskguard runs in full. */
  readonly sizes: readonly number[];
  /** At an added latency, the peer runs this many records and its time is scaled to the batch. */
  readonly peerRecords: number;
}

/**
 * 0: loopback, as the dedup bench; 1: a Lambda in another AZ than its ElastiCache node; 5: a REST
 * cache (Upstash) in the same region (issue 16).
 */
export const LATENCY_DEFAULTS: LatencyOptions = { latencies: [0, 1, 5], sizes: [10_000], peerRecords: 1_000 };

/** Toxiproxy's latency toxic takes whole ms; a second per round trip is far past any cache. */
const MAX_LATENCY_MS = 1_000;

/** The options `npm run bench -- latency` accepts besides the runner's own. */
export const LATENCY_OPTIONS: ParseArgsConfig['options'] = {
  latencies: { type: 'string' },
  sizes: { type: 'string' },
  'peer-records': { type: 'string' },
};

/** Help lines for {@link LATENCY_OPTIONS}. */
export const LATENCY_USAGE = `    --latencies A,B      round-trip latencies to add, whole ms 0-${MAX_LATENCY_MS} (default ${LATENCY_DEFAULTS.latencies.join(',')}):
                         0 runs on loopback through no proxy; N > 0 through Toxiproxy with a
                         latency toxic of N ms on each reply (needs Go to build Toxiproxy)
    --sizes A,B          batch sizes mskguard runs in full (default ${LATENCY_DEFAULTS.sizes.join(',')}; shared with dedup)
    --peer-records N     at an added latency the Powertools peer runs N records (default
                         ${LATENCY_DEFAULTS.peerRecords}) and its time is scaled to the batch; the table says so`;

/** A bad latency option; bench/main.ts prints it with the usage. */
export class LatencyUsageError extends Error {
  public override readonly name = 'LatencyUsageError';
}

function latencyList(raw: unknown): number[] {
  if (raw === undefined) return [...LATENCY_DEFAULTS.latencies];
  const items = String(raw).split(',');
  const bad = items.filter((item) => {
    const n = Number(item.trim());
    return item.trim() === '' || !Number.isInteger(n) || n < 0 || n > MAX_LATENCY_MS;
  });
  if (bad.length > 0) {
    throw new LatencyUsageError(
      `--latencies must be round-trip latencies in whole milliseconds from 0 to ${MAX_LATENCY_MS}, ` +
        `separated by commas (Toxiproxy's latency toxic takes whole ms; 0 = no proxy), e.g. ` +
        `--latencies 0,1,5; got ${String(raw)} (bad: ${bad.map((b) => JSON.stringify(b)).join(', ')})`,
    );
  }
  return [...new Set(items.map(Number))];
}

function peerRecords(raw: unknown): number {
  if (raw === undefined) return LATENCY_DEFAULTS.peerRecords;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 100 || n > 10_000) {
    throw new LatencyUsageError(
      `--peer-records must be a whole number of records from 100 to 10,000 (the peer's per-record ` +
        `time is measured on that many and scaled to the batch), got ${String(raw)}`,
    );
  }
  return n;
}

/** Validated latency options from the parsed command line (defaults for what is absent). */
export function latencyOptionsFrom(values: Readonly<Record<string, unknown>>): LatencyOptions {
  let sizes: number[];
  try {
    sizes = values.sizes === undefined ? [...LATENCY_DEFAULTS.sizes] : batchSizes(values);
  } catch (error) {
    throw new LatencyUsageError((error as Error).message);
  }
  return {
    latencies: latencyList(values.latencies),
    sizes,
    peerRecords: peerRecords(values['peer-records']),
  };
}

/** How the peer is measured for one batch at one added latency. */
export interface PeerPlan {
  /** Records it runs. */
  readonly records: number;
  /** Whether its time is scaled from `records` to the batch. */
  readonly scaled: boolean;
}

/**
 * The peer runs the whole batch on loopback (~2–3 s for 10,000 records) and wherever the batch is
 * no larger than `peerRecords`; otherwise `peerRecords` records, scaled (at +1 ms it would need
 * ~18 s per 10,000 records, at +5 ms ~90 s, per repetition).
 */
export function peerPlan(batch: number, rttAddedMs: number, peerRecordsCount: number): PeerPlan {
  if (rttAddedMs === 0 || batch <= peerRecordsCount) return { records: batch, scaled: false };
  return { records: peerRecordsCount, scaled: true };
}
