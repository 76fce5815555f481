import { OffsetsFileError } from './errors.ts';
import type { ExplicitOffset, RestorePlan } from './types.ts';

const DIGITS = /^\d+$/;

/**
 * Splits one CSV line. kafka-consumer-groups writes it with Jackson's CSV mapper, which quotes a
 * field holding characters such as `-` or `.` (`"orders-v2",0,42`); a quote inside a quoted field
 * is doubled.
 */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      while (i < line.length && !(line[i] === '"' && line[i + 1] !== '"')) {
        value += line[i];
        i += line[i] === '"' ? 2 : 1;
      }
      fields.push(value);
      i++;
      const comma = line.indexOf(',', i);
      if (comma < 0) return fields;
      i = comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      fields.push((comma < 0 ? line.slice(i) : line.slice(i, comma)).trim());
      if (comma < 0) return fields;
      i = comma + 1;
    }
  }
}

/**
 * Reads the CSV of `kafka-consumer-groups --reset-offsets --export` (and of `mskguard restore
 * --export`): one `topic,partition,offset` line per partition, no header, fields optionally quoted; the tool's multi-group
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
    const cells = csvFields(line);
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
