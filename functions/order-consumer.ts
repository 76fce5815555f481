/**
 * The reference consumer: order events from an MSK topic, processed effectively once.
 * Wiring only: the business logic is `handleOrder`; mskguard withholds duplicates, checkpoints
 * offsets and builds the partial-batch response from what `processRecordsInOrder` reports.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { mskGuard } from '../shared/middleware/mskGuard.ts';
import { type KafkaEvent, type ParsedRecord, processRecordsInOrder } from '../shared/msk/index.ts';
import { guardOptionsFromEnv } from '../shared/runtime/guard-from-env.ts';
import { logFailures, ORDER_KEY_SOURCES, readOrder } from './orders.ts';

const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'order-consumer' });

/** The effect of one order: replace with your own (write to a database, call an API, ...). */
export async function handleOrder(record: ParsedRecord): Promise<void> {
  const order = readOrder(record);
  // ... the side effect happens here, once per order ...
  void order;
}

export const handler = middy<KafkaEvent, unknown, Error, Context>()
  .use(mskGuard(guardOptionsFromEnv({ keySources: ORDER_KEY_SOURCES })))
  .handler(async (event) => {
    const result = await processRecordsInOrder(event, handleOrder);
    // processRecordsInOrder reports failures only in the response: say which record and why.
    logFailures(result.failed, logger);
    return result.response;
  });
