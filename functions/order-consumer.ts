/**
 * The reference consumer: order events from an MSK topic, processed effectively once.
 * Wiring only: the business logic is `handleOrder`; mskguard withholds duplicates, checkpoints
 * offsets and builds the partial-batch response from what `processRecordsInOrder` reports.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { mskGuard } from '#shared/middleware/mskGuard.ts';
import {
  type KafkaEvent,
  type ParsedRecord,
  parseMskEvent,
  processRecordsInOrder,
} from '#shared/msk/index.ts';
import { guardOptionsFromEnv } from '#shared/runtime/guard-from-env.ts';

/** An order event as producers write it (JSON value). */
export interface OrderEvent {
  readonly orderId: string;
  readonly amount: number;
  readonly currency?: string;
}

/** The effect of one order: replace with your own (write to a database, call an API, ...). */
export async function handleOrder(record: ParsedRecord): Promise<void> {
  const order = JSON.parse(record.value?.toString('utf8') ?? 'null') as OrderEvent | null;
  if (!order || typeof order.orderId !== 'string' || typeof order.amount !== 'number') {
    // Thrown errors stop this partition here; Lambda redelivers from this record.
    throw new Error(`record ${record.coordinate} is not an order event`);
  }
  // ... the side effect happens here, once per order ...
}

export const handler = middy<KafkaEvent, unknown, Error, Context>()
  .use(
    mskGuard(
      guardOptionsFromEnv({ keySources: [{ type: 'header' }, { type: 'jsonPath', path: 'orderId' }] }),
    ),
  )
  .handler(async (event) => (await processRecordsInOrder(parseMskEvent(event), handleOrder)).response);
