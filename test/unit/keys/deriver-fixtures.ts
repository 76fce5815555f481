// What the key deriver tests share: one parsed record of topic orders per call (each at the next
// offset), and the derived key of a result that must have one.
import type { DerivedKey, KeyResult } from '#shared/keys/index.ts';
import {
  encodeKafkaEvent,
  type KafkaRecordInput,
  type ParsedRecord,
  parseMskEvent,
} from '#shared/msk/index.ts';

let nextOffset = 0;
/** A record of topic orders, partition 0, at the next offset, with `input` over the defaults. */
export const recordOf = (input: Partial<KafkaRecordInput>): ParsedRecord =>
  parseMskEvent(encodeKafkaEvent([{ topic: 'orders', partition: 0, offset: nextOffset++, ...input }]))
    .records[0]!;

/** The key of a result, or a thrown error if the deriver found none. */
export const keyOf = (result: KeyResult | undefined): DerivedKey => {
  if (result === undefined || result.missing) throw new Error('expected a key');
  return result;
};
