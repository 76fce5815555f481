import { setTimeout as sleep } from 'node:timers/promises';
import { highWatermarks, produceOrders } from './kafka.ts';
import type { LocalSession } from './session.ts';
import type { OrderRecord } from './workload.ts';

/** Real time the duplicate burst and the stopped consumer last: beyond 3 five-minute periods. */
export const SUSTAINED_FAULT_MS = 25_000;

/** Produces `orders`, makes sure a poller runs, and waits until the group committed all of it. */
export async function runSegment(
  session: LocalSession,
  orders: readonly OrderRecord[],
  topic: string,
  note: (line: string) => void,
  what: string,
): Promise<void> {
  note(`${what} ${orders.length.toLocaleString('en-US')} records`);
  await produceOrders(session.producer, topic, orders);
  const highs = await highWatermarks(session.admin, topic);
  if (!session.hasPoller()) await session.startPoller();
  await session.waitCaughtUp(highs);
}

/**
 * Without faults: the workload as a steady stream over the sustained-fault time (25 CloudWatch
 * minutes), so every alarm window is judged on normal traffic, duplicates and redeliveries included.
 */
export async function runSteadily(
  session: LocalSession,
  orders: readonly OrderRecord[],
  topic: string,
  note: (line: string) => void,
): Promise<void> {
  note(
    `producing ${orders.length.toLocaleString('en-US')} records as a steady stream over ${SUSTAINED_FAULT_MS / 1000} s`,
  );
  await session.startPoller();
  const started = performance.now();
  await produceOverTime(session, topic, orders, SUSTAINED_FAULT_MS);
  // The poller consumed while the stream was produced: that time counts as consuming.
  session.consumeMs += performance.now() - started;
  await session.waitCaughtUp(await highWatermarks(session.admin, topic));
}

/** Produces `orders` in small chunks spread over `durationMs` (a steady stream, not one burst). */
export async function produceOverTime(
  session: LocalSession,
  topic: string,
  orders: readonly OrderRecord[],
  durationMs: number,
): Promise<void> {
  const stepMs = 250;
  const steps = Math.max(1, Math.floor(durationMs / stepMs));
  const chunk = Math.ceil(orders.length / steps);
  const started = Date.now();
  for (let i = 0; i < steps; i++) {
    const part = orders.slice(i * chunk, (i + 1) * chunk);
    if (part.length > 0) await produceOrders(session.producer, topic, part);
    const wait = started + (i + 1) * stepMs - Date.now();
    if (wait > 0) await sleep(wait);
  }
}
