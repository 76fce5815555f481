import { ConfigurationError } from '#shared/errors.ts';

/** One order event as the local run produces it. */
export interface OrderRecord {
  /** The business key: a producer duplicate repeats it (and the whole record) at a new offset. */
  readonly orderId: string;
  readonly amount: number;
  readonly currency: string;
  /** Whether the producer sets the `idempotency-key` header; otherwise the key comes from `orderId` in the value. */
  readonly header: boolean;
}

/** What {@link planWorkload} produces: the records in production order and the duplicates to inject. */
export interface WorkloadPlan {
  readonly records: readonly OrderRecord[];
  /** Distinct business keys among `records`. */
  readonly unique: number;
  /** Records that repeat an earlier record's business key (producer retries, replays). */
  readonly producerDuplicates: number;
  /** Deliveries of already delivered offsets for the poller to inject (lost commits). */
  readonly redeliveries: number;
}

/** Options of {@link planWorkload}. */
export interface WorkloadOptions {
  /** Records produced, duplicates included. */
  readonly records: number;
  /** Duplicate deliveries per produced record, e.g. 0.173. */
  readonly duplicateRate: number;
  /** Prefix of the business keys, unique per run. */
  readonly keyPrefix: string;
  /** @default 173 */
  readonly seed?: number;
}

/** Share of the duplicates that are producer duplicates; the rest are redeliveries. */
export const PRODUCER_DUPLICATE_SHARE = 2 / 3;
/** A producer duplicate repeats one of the previous this-many records (near ones land in the same batch). */
const DUPLICATE_DISTANCE = 3000;

/** A small seeded PRNG (mulberry32): the same options always give the same workload. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Plans an order workload with duplicates: `round(records × duplicateRate)` duplicate deliveries,
 * two thirds of them producer duplicates (an earlier record produced again, up to 3,000 records
 * later, so some share a batch with the original and some do not) and the rest redeliveries the
 * poller injects. Half the producers put the key in a header, half leave it to `orderId`.
 *
 * @example
 * ```ts
 * const plan = planWorkload({ records: 20_000, duplicateRate: 0.173, keyPrefix: 'o-run1' });
 * plan.unique; // 17_693
 * ```
 */
export function planWorkload(options: WorkloadOptions): WorkloadPlan {
  const n = options.records;
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigurationError(`records must be a positive integer, got ${n}`);
  const rate = options.duplicateRate;
  if (!(rate >= 0 && rate < 1)) throw new ConfigurationError(`duplicate rate must be in [0, 1), got ${rate}`);
  const random = seededRandom(options.seed ?? 173);
  const duplicates = Math.round(n * rate);
  const producerDuplicates = Math.min(n - 1, Math.round(duplicates * PRODUCER_DUPLICATE_SHARE));

  // Which positions repeat an earlier record: a partial Fisher–Yates over 1..n-1.
  const positions = Int32Array.from({ length: n - 1 }, (_, i) => i + 1);
  for (let i = 0; i < producerDuplicates; i++) {
    const j = i + Math.floor(random() * (positions.length - i));
    [positions[i], positions[j]] = [positions[j]!, positions[i]!];
  }
  const isDuplicate = new Uint8Array(n);
  for (let i = 0; i < producerDuplicates; i++) isDuplicate[positions[i]!] = 1;

  const records: OrderRecord[] = [];
  let next = 0;
  for (let i = 0; i < n; i++) {
    if (isDuplicate[i]) {
      const source = i - 1 - Math.floor(random() * Math.min(i, DUPLICATE_DISTANCE));
      records.push(records[source]!);
      continue;
    }
    records.push({
      orderId: `${options.keyPrefix}-${next++}`,
      amount: Math.round(random() * 100_000) / 100,
      currency: random() < 0.5 ? 'EUR' : 'USD',
      header: random() < 0.5,
    });
  }
  return { records, unique: next, producerDuplicates, redeliveries: duplicates - producerDuplicates };
}
