/**
 * The order events of the reference consumer: their shape, where their business key comes from,
 * and how a record becomes an order. Shared by functions/order-consumer.ts, `npm run local` and
 * the e2e benchmark, so all three process the same thing the same way.
 */
import type { KeySource } from '../shared/keys/index.ts';
import type { ParsedRecord } from '../shared/msk/index.ts';

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
 * The order a record carries. Throws for a record that is not an order event: processed by
 * `processRecordsInOrder`, that stops the partition there and Lambda redelivers from it.
 */
export function readOrder(record: ParsedRecord): OrderEvent {
  const order = JSON.parse(record.value?.toString('utf8') ?? 'null') as Partial<OrderEvent> | null;
  if (!order || typeof order.orderId !== 'string' || typeof order.amount !== 'number') {
    throw new Error(`record ${record.coordinate} is not an order event`);
  }
  return order as OrderEvent;
}
