import { InvalidQuarantineRecordError } from './errors.ts';

/** The coordinates a quarantine id names. */
export interface QuarantineCoordinates {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

const TOPIC_PATTERN = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * The id of a quarantined record: `{group}/{topic}-{partition}@{offset}`, the record's delivery
 * coordinate prefixed by its group. Readable in a terminal, and unambiguous even when the group
 * contains `/`, `-` or `@`: it is parsed from the right, and topics cannot contain `/` or `@`.
 *
 * @example
 * ```ts
 * quarantineId({ group: 'orders-svc', topic: 'orders', partition: 3, offset: 1234 }); // 'orders-svc/orders-3@1234'
 * ```
 */
export function quarantineId(c: QuarantineCoordinates): string {
  return `${c.group}/${c.topic}-${c.partition}@${c.offset}`;
}

/**
 * Inverse of {@link quarantineId}; throws {@link InvalidQuarantineRecordError} with the expected
 * form when `id` is not one.
 *
 * @example
 * ```ts
 * parseQuarantineId('orders-svc/orders-3@1234'); // { group: 'orders-svc', topic: 'orders', partition: 3, offset: 1234 }
 * ```
 */
export function parseQuarantineId(id: string): QuarantineCoordinates {
  const match = /^(.+)\/([a-zA-Z0-9._-]+)-(\d+)@(\d+)$/.exec(id);
  const [, group, topic, partition, offset] = match ?? [];
  if (!group || !topic || !TOPIC_PATTERN.test(topic) || !Number.isSafeInteger(Number(offset))) {
    throw new InvalidQuarantineRecordError(
      `Invalid quarantine id ${JSON.stringify(id)}: expected <group>/<topic>-<partition>@<offset>, ` +
        "as printed by 'mskguard quarantine list' (e.g. orders-svc/orders-3@1234).",
    );
  }
  return { group, topic, partition: Number(partition), offset: Number(offset) };
}
