import { OffsetsFileError } from './errors.ts';
import type { ExplicitOffset, RestorePlan } from './types.ts';

const DIGITS = /^\d+$/;

/**
 * Reads the CSV of `kafka-consumer-groups --reset-offsets --export` (and of `mskguard restore
 * --export`): one `topic,partition,offset` line per partition, no header; the tool's multi-group
 * form `group,topic,partition,offset` is accepted when the group is `group`. Every line must be of
 * `topic`. Blank lines are skipped. Range checks against the broker happen when the plan is made.
 *
 * @example
 * ```ts
 * const offsets = parseOffsetsCsv('orders,0,42\norders,1,17\n', { topic: 'orders', group: 'orders-svc' });
 * ```
 */
export function parseOffsetsCsv(text: string, expect: { topic: string; group: string }): ExplicitOffset[] {
  const offsets: ExplicitOffset[] = [];
  const lines = text.split(/\r?\n/);
  const seen = new Map<number, number>();
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const n = i + 1;
    if (line === '') return;
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== 3 && cells.length !== 4) {
      throw new OffsetsFileError(
        `Line ${n} "${line}": expected topic,partition,offset (kafka-consumer-groups --export format).`,
        n,
      );
    }
    const [group, topic, partition, offset] = cells.length === 4 ? cells : [expect.group, ...cells];
    if (group !== expect.group)
      throw new OffsetsFileError(
        `Line ${n}: group ${group}, but the restore is of group ${expect.group}.`,
        n,
      );
    if (topic !== expect.topic)
      throw new OffsetsFileError(
        `Line ${n}: topic ${topic}, but the restore is of topic ${expect.topic}.`,
        n,
      );
    if (!DIGITS.test(partition!))
      throw new OffsetsFileError(`Line ${n}: partition "${partition}" is not a partition number.`, n);
    if (!DIGITS.test(offset!) || !Number.isSafeInteger(Number(offset)))
      throw new OffsetsFileError(
        `Line ${n}: offset "${offset}" of partition ${partition} is not an offset (an integer >= 0).`,
        n,
      );
    const p = Number(partition);
    const first = seen.get(p);
    if (first !== undefined)
      throw new OffsetsFileError(`Line ${n}: partition ${p} again (first on line ${first}).`, n);
    seen.set(p, n);
    offsets.push({ partition: p, offset: Number(offset) });
  });
  if (offsets.length === 0)
    throw new OffsetsFileError('The offsets file has no topic,partition,offset line.', 0);
  return offsets;
}

/**
 * The plan's targets as kafka-consumer-groups's CSV (`topic,partition,offset`, partition order), for
 * `kafka-consumer-groups --reset-offsets --from-file F --execute`. Only for a plan with every target
 * set (no refusal of a partition).
 *
 * @example
 * ```ts
 * await writeFile('plan.csv', formatOffsetsCsv(plan));
 * ```
 */
export function formatOffsetsCsv(plan: Pick<RestorePlan, 'topic' | 'rows'>): string {
  return plan.rows
    .filter((r) => r.target !== null)
    .map((r) => `${plan.topic},${r.partition},${r.target}\n`)
    .join('');
}
