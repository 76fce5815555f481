// mskGuard among other Middy middlewares (G2, G5): a middleware registered after it or before it
// that turns the handler's error into a response must not make Lambda skip the batch, nor keep its
// keys leased; the onError of the others still runs.

import { Logger } from '@aws-lambda-powertools/logger';
import middy, { type MiddlewareObj } from '@middy/core';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { InvalidEventError } from '#shared/errors.ts';
import { mskGuard } from '#shared/middleware/mskGuard.ts';
import {
  encodeKafkaEvent,
  type KafkaEvent,
  parseMskEvent,
  processRecordsInOrder,
  type RawKafkaRecord,
} from '#shared/msk/index.ts';
import { fakeContext, orders } from '#test/support/guarded.ts';
import { ADAPTERS, TEST_CACHE_SHARDS } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

describe('mskGuard in a Middy chain', () => {
  const runner = ADAPTERS.resp();
  afterAll(() => runner.close());

  /**
   * A guarded handler that fails once, with `answer` registered before or after mskGuard; the
   * offsets it processed are in `processed`.
   */
  const failingOnce = (answer: MiddlewareObj<KafkaEvent, unknown>, where: 'before' | 'after') => {
    const processed: number[] = [];
    let failures = 1;
    const guard = mskGuard({
      consumerGroup: uniqueName('grp'),
      cache: runner,
      cacheShards: TEST_CACHE_SHARDS,
    });
    const chain = middy<KafkaEvent, unknown>();
    if (where === 'before') chain.use(answer).use(guard);
    else chain.use(guard).use(answer);
    const handler = chain.handler(async (event: KafkaEvent) => {
      if (failures-- > 0) throw new Error('downstream unavailable');
      for (const records of Object.values(event.records))
        processed.push(...records.map((r: RawKafkaRecord) => r.offset));
    });
    return { handler, processed };
  };

  it('fails the invocation when a later middleware answers the handler error, and the retry processes at once', async () => {
    // Prepare: an error handler registered after mskGuard answers with what Lambda reads as
    // "every record done".
    const { handler, processed } = failingOnce(
      {
        onError: async (request) => {
          request.response = { batchItemFailures: [] };
        },
      },
      'after',
    );
    const event = encodeKafkaEvent(orders('orders', 0, 0, ['a', 'b']));

    // Act
    const first = handler(event, fakeContext());
    await expect(first).rejects.toThrow('downstream unavailable');
    const retry = await handler(event, fakeContext());

    // Assess: the retry was not told the keys are in progress (their leases were given back).
    expect(retry).toBeUndefined();
    expect(processed).toEqual([0, 1]);
  });

  // Middy runs onError in reverse order of registration: a middleware registered before mskGuard
  // answers after mskGuard has given the batch back.
  it('fails the invocation when an earlier middleware answers the handler error, and still runs its onError', async () => {
    // Prepare: an error handler registered before mskGuard records that its onError ran, then
    // answers with what Lambda reads as "every record done".
    const answered: string[] = [];
    const { handler, processed } = failingOnce(
      {
        onError: async (request) => {
          answered.push((request.error as Error).message);
          request.response = { statusCode: 500 };
        },
      },
      'before',
    );
    const event = encodeKafkaEvent(orders('orders', 0, 0, ['a', 'b']));

    // Act
    const first = handler(event, fakeContext());
    await expect(first).rejects.toThrow('downstream unavailable');
    const retry = await handler(event, fakeContext());

    // Assess: the earlier middleware's onError ran, its answer did not reach Lambda, and the retry
    // processed every record at once (the leases were given back).
    expect(answered).toEqual(['downstream unavailable']);
    expect(retry).toBeUndefined();
    expect(processed).toEqual([0, 1]);
  });

  it('fails the invocation when an earlier middleware returns an early response from onError', async () => {
    // Prepare: Middy's early-response form: onError returns the answer instead of setting it.
    const { handler, processed } = failingOnce(
      { onError: async () => ({ batchItemFailures: [] }) },
      'before',
    );
    const event = encodeKafkaEvent(orders('orders', 0, 0, ['a']));

    // Act
    await expect(handler(event, fakeContext())).rejects.toThrow('downstream unavailable');
    await handler(event, fakeContext());

    // Assess
    expect(processed).toEqual([0]);
  });

  // Middy answers with a TimeoutError shortly before the Lambda deadline (timeoutEarlyInMillis, on
  // by default) while the handler runs on, and Lambda retries at once (decision 0011), maybe in the
  // same process.
  const timingOut = (options: { reparse?: boolean; answer?: MiddlewareObj<KafkaEvent, unknown> } = {}) => {
    const processed: string[] = [];
    let openGate = () => {};
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    let blocked = true;
    let stillRunning: Promise<unknown> = Promise.resolve();
    const chain = middy<KafkaEvent, unknown>().use(
      mskGuard({ consumerGroup: uniqueName('grp'), cache: runner, cacheShards: TEST_CACHE_SHARDS }),
    );
    if (options.answer) chain.use(options.answer);
    const handler = chain.handler(async (event: KafkaEvent) => {
      // 'b' blocks until the test opens the gate, long after the invocation timed out.
      const run = processRecordsInOrder(options.reparse ? parseMskEvent(event) : event, async (record) => {
        const key = record.lastHeader('idempotency-key')?.toString() ?? '';
        if (key === 'b' && blocked) {
          blocked = false;
          await gate;
        }
        processed.push(key);
      });
      stillRunning = run;
      return (await run).response;
    });
    const event = encodeKafkaEvent(orders('orders', 0, 0, ['a', 'b', 'c']));
    const timeOut = async (): Promise<{ leftRunning: Promise<unknown> }> => {
      await expect(handler(event, fakeContext(300))).rejects.toThrow(
        expect.objectContaining({ name: 'TimeoutError' }),
      );
      // Wrapped: an async function that returned the promise itself would wait for it.
      return { leftRunning: stillRunning };
    };
    return { handler, event, processed, openGate, timeOut };
  };

  it("stops the handler left running after Middy's early timeout: the retry alone runs the records it had not started (G1)", async () => {
    // Prepare
    const t = timingOut();

    // Act: the first invocation times out while 'b' runs; Lambda retries; then 'b' ends.
    const { leftRunning } = await t.timeOut();
    await t.handler(t.event, fakeContext());
    t.openGate();
    await leftRunning;

    // Assess: the retry ran the batch ('a' again, as after a crash: it was never completed); the
    // handler left running finished 'b' and started no more.
    expect(t.processed).toEqual(['a', 'a', 'b', 'c', 'b']);
  });

  it.each([
    ['it hands processRecordsInOrder the event parsed again', { reparse: true }],
    [
      'a later middleware returns an answer to the timeout, which ends the chain before mskGuard',
      { answer: { onError: async () => ({ batchItemFailures: [] }) } },
    ],
  ])("stops the handler left running after Middy's early timeout when %s", async (_name, options) => {
    // Prepare
    const t = timingOut(options);

    // Act
    const { leftRunning } = await t.timeOut();
    t.openGate();
    await leftRunning;

    // Assess: the invocation failed, and the handler left running did not start 'c'.
    expect(t.processed).toEqual(['a', 'b']);
  });

  it("never gives back an earlier invocation's batch when Middy shares request.internal (plugin option internal)", async () => {
    // Prepare: a first invocation settles; the second fails before admit is done (a malformed event).
    const logger = new Logger({ serviceName: 'mskguard', logLevel: 'SILENT' });
    const errors = vi.spyOn(logger, 'error');
    const handler = middy<KafkaEvent, unknown>({ internal: {} })
      .use(
        mskGuard({ consumerGroup: uniqueName('grp'), cache: runner, cacheShards: TEST_CACHE_SHARDS, logger }),
      )
      .handler(async () => {});
    await handler(encodeKafkaEvent(orders('orders', 0, 0, ['a'])), fakeContext());

    // Act
    await expect(handler({ eventSource: 'aws:kafka' } as never, fakeContext())).rejects.toThrow(
      InvalidEventError,
    );

    // Assess: the guard held no batch of this invocation, so it gave none back.
    expect(errors).not.toHaveBeenCalled();
  });
});
