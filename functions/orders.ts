/**
 * The order events of the reference consumer: their shape, where their business key comes from,
 * and how a record becomes an order. Shared by functions/order-consumer.ts, `npm run local` and
 * the e2e benchmark, so all three process the same thing the same way.
 */
import { MskGuardError } from '../shared/errors.ts';
import type { KeySource } from '../shared/keys/index.ts';
import type { FailedRecord, ParsedRecord } from '../shared/msk/index.ts';

/** An order event as producers write it (JSON value). */
export interface OrderEvent {
  readonly orderId: string;
  readonly amount: number;
  readonly currency?: string;
}

/** The idempotency key of an order: the `idempotency-key` header, else the order id. */
export const ORDER_KEY_SOURCES: readonly KeySource[] = [
  { type: 'header' },
  { type: 'jsonPath', path: 'orderId' },
];

/**
 * A record is not an order event. The message names the record and what is wrong, never the
 * record's contents: JSON.parse's own SyntaxError quotes the payload, and this error is logged.
 */
export class InvalidOrderError extends MskGuardError {
  /** `topic-partition@offset` of the record. */
  public readonly record: string;

  public constructor(record: string, problem: string) {
    super(
      `record ${record} is not an order event: ${problem}. Fix the producer; the partition retries from ` +
        "this record until the mapping's retries run out, then the batch goes to its on-failure destination.",
    );
    this.record = record;
  }
}

/**
 * The order a record carries. Throws {@link InvalidOrderError} for a record that is not an order
 * event: processed by `processRecordsInOrder`, that stops the partition there and Lambda redelivers
 * from it.
 */
export function readOrder(record: ParsedRecord): OrderEvent {
  const text = record.value?.toString('utf8');
  if (text === undefined) throw new InvalidOrderError(record.coordinate, 'it has no value (a tombstone)');
  let order: Partial<OrderEvent> | null;
  try {
    order = JSON.parse(text) as Partial<OrderEvent> | null;
  } catch (error) {
    // The name only: the SyntaxError's message quotes the value.
    throw new InvalidOrderError(record.coordinate, `its value is not JSON (${(error as Error).name})`);
  }
  if (typeof order !== 'object' || order === null || Array.isArray(order)) {
    throw new InvalidOrderError(record.coordinate, 'its value is not a JSON object');
  }
  if (typeof order.orderId !== 'string' || order.orderId === '') {
    throw new InvalidOrderError(record.coordinate, 'orderId must be a non-empty string');
  }
  if (typeof order.amount !== 'number' || !Number.isFinite(order.amount)) {
    throw new InvalidOrderError(record.coordinate, 'amount must be a number');
  }
  return order as OrderEvent;
}

/** Where {@link logFailures} writes: a Powertools Logger, or anything with its `error`. */
export interface FailureLog {
  error(message: string, fields: Record<string, unknown>): void;
}

/**
 * One log line per record that stopped its partition. processRecordsInOrder collects failures into
 * the partial-batch response and logs nothing; without this line a poison record is retried until
 * the mapping gives up and nobody can tell why. The coordinate identifies the record (read its
 * payload from Kafka, not from logs); a message is logged only for mskguard's typed errors, whose
 * messages never quote record contents — any other error's message might.
 */
export function logFailures(failed: readonly FailedRecord[], log: FailureLog): void {
  for (const { record, error } of failed) {
    const name = error instanceof Error ? error.name : typeof error;
    log.error('record failed: its partition retries from it', {
      record: record.coordinate,
      errorName: name,
      reason: error instanceof MskGuardError ? error.message : `${name} (message not logged)`,
    });
  }
}
