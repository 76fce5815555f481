import type { Admin, Message, Producer } from 'kafkajs';
import { StackError } from '#local/errors.ts';
import type { OrderRecord } from './workload.ts';

const SEND_CHUNK = 1000;

/** Creates the run's topic (it must not exist: every run has its own). */
export async function createTopic(admin: Admin, topic: string, partitions: number): Promise<void> {
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions: partitions }],
    waitForLeaders: true,
  });
  if (!created)
    throw new StackError(`Topic ${topic} already exists: every local run needs a topic of its own.`);
}

/** The Kafka message of an order: keyed by order id (so duplicates share a partition), JSON value. */
export function orderMessage(order: OrderRecord): Message {
  return {
    key: order.orderId,
    value: JSON.stringify({ orderId: order.orderId, amount: order.amount, currency: order.currency }),
    ...(order.header ? { headers: { 'idempotency-key': order.orderId } } : {}),
  };
}

/**
 * Produces orders in production order, 1,000 per request; resolves once every request is acknowledged
 * by the broker.
 *
 * @example
 * ```ts
 * await produceOrders(producer, 'orders', plan.records.slice(0, 8000));
 * ```
 */
export async function produceOrders(
  producer: Producer,
  topic: string,
  orders: readonly OrderRecord[],
): Promise<void> {
  for (let i = 0; i < orders.length; i += SEND_CHUNK) {
    await producer.send({ topic, messages: orders.slice(i, i + SEND_CHUNK).map(orderMessage) });
  }
}

/** The high watermark (next offset to be written) of each partition. */
export async function highWatermarks(admin: Admin, topic: string): Promise<Map<number, number>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
}

/** The group's committed offset per partition (`-1` when none). */
export async function committedOffsets(
  admin: Admin,
  group: string,
  topic: string,
): Promise<Map<number, number>> {
  const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return new Map((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
}
