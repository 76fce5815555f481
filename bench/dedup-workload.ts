/**
 * The dedup benchmark's records (bench/dedup.ts, and bench/latency.ts through it): 3 partitions,
 * 17% duplicates, an `idempotency-key` header and a small JSON value, as an order topic carries.
 */
import { createHash } from 'node:crypto';
import type { KafkaRecordInput } from '#shared/msk/index.ts';

/** Share of a batch's records whose key was completed before (half redeliveries, half producer duplicates). */
export const DUPLICATE_SHARE = 0.17;
export const PARTITIONS = 3;

/**
 * Idempotency keys of one run: UUID-shaped (36 characters, the most common business id), unique to
 * the run, the duplicate or new kind and the index. The run's name is hashed rather than spelled
 * out: keys of 50+ bytes, as `${run}-new-${i}` made, take the per-key path of decision 0007 (their
 * frame's tail needs a second SHA-256 block), which is not the key users usually send.
 */
export function benchKeys(run: string): (kind: 'dup' | 'new', i: number) => string {
  const tag = createHash('sha256').update(run).digest('hex');
  const head = `${tag.slice(0, 8)}-${tag.slice(8, 12)}-4${tag.slice(12, 15)}-`;
  return (kind, i) =>
    `${head}${kind === 'dup' ? 'a' : 'b'}${tag.slice(15, 18)}-${i.toString(16).padStart(12, '0')}`;
}

/** One batch's records: `seed` completes the duplicates' keys beforehand (untimed). */
export function workload(size: number, run: string): { seed: KafkaRecordInput[]; batch: KafkaRecordInput[] } {
  const dupes = Math.round(size * DUPLICATE_SHARE);
  const record = (key: string, partition: number, offset: number): KafkaRecordInput => ({
    topic: 'orders',
    partition,
    offset,
    key: key,
    value: JSON.stringify({ orderId: key, amount: 42 }),
    headers: [{ name: 'idempotency-key', value: key }],
  });
  const keyOf = benchKeys(run);
  const seed: KafkaRecordInput[] = [];
  const batch: KafkaRecordInput[] = [];
  for (let i = 0; i < size; i++) {
    const partition = i % PARTITIONS;
    const offset = 1_000_000 + Math.floor(i / PARTITIONS);
    const key = keyOf(i < dupes ? 'dup' : 'new', i);
    batch.push(record(key, partition, offset));
    // Half the duplicates were delivered before at these same offsets, half at other offsets.
    if (i < dupes) seed.push(record(key, partition, i % 2 === 0 ? offset : offset - 500_000));
  }
  return { seed, batch };
}
