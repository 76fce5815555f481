// G1, G2, G4, G5, G6 for the Middy middleware on the real Redis, through both adapters: what the
// handler is given, what it is never given twice, and what comes back to Lambda.
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidEventError } from '#shared/errors.ts';
import { mskGuard } from '#shared/middleware/mskGuard.ts';
import { encodeKafkaEvent } from '#shared/msk/index.ts';
import { claimAndDie, fakeContext, guardedConsumer, orders } from '#test/support/guarded.ts';
import { ADAPTERS, TEST_CACHE_SHARDS } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

describe.each(Object.keys(ADAPTERS) as (keyof typeof ADAPTERS)[])('mskGuard over %s', (adapter) => {
  const runner = ADAPTERS[adapter]();
  afterAll(() => runner.close());
  const consumer = (extra: Record<string, unknown> = {}) =>
    guardedConsumer({
      consumerGroup: uniqueName('grp'),
      cache: runner,
      cacheShards: TEST_CACHE_SHARDS,
      ...extra,
    });

  it('hands a retried batch to the handler once (G1)', async () => {
    const c = consumer();
    const batch = [...orders('orders', 0, 0, ['a', 'b', 'c']), ...orders('orders', 1, 0, ['d', 'e'])];
    const first = await c.invoke(batch);
    const retry = await c.invoke(batch);
    expect(c.effects.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(first).toEqual({ batchItemFailures: [] });
    expect(retry).toEqual({ batchItemFailures: [] });
  });

  it('drops producer duplicates at other offsets and within one batch (G1)', async () => {
    const c = consumer();
    await c.invoke(orders('orders', 0, 0, ['a', 'b']));
    await c.invoke([...orders('orders', 0, 2, ['b', 'x', 'x']), ...orders('orders', 2, 7, ['a', 'y'])]);
    expect(c.effects.sort()).toEqual(['a', 'b', 'x', 'y']);
  });

  it('on partial failure completes what preceded the failure and lets the retry process the rest (G5)', async () => {
    const c = consumer();
    c.failOn.add('c');
    const batch = orders('orders', 3, 10, ['a', 'b', 'c', 'd']);
    const first = await c.invoke(batch);
    c.failOn.clear();
    const retry = await c.invoke(batch.slice(2));
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'orders-3', offset: 12 } }] });
    expect(c.effects).toEqual(['a', 'b', 'c', 'd']);
    expect(retry).toEqual({ batchItemFailures: [] });
  });

  it('releases everything when the handler throws, so the retry processes it all (G5)', async () => {
    const c = consumer();
    c.throwOnce(new Error('downstream unavailable'));
    const batch = orders('orders', 0, 0, ['a', 'b']);
    await expect(c.invoke(batch)).rejects.toThrow('downstream unavailable');
    await c.invoke(batch);
    expect(c.effects).toEqual(['a', 'b']);
  });

  it('lets exactly one of two concurrent deliveries of a key process it; the other waits and withholds them (G4)', async () => {
    const group = uniqueName('grp');
    const a = guardedConsumer({ consumerGroup: group, cache: runner, cacheShards: TEST_CACHE_SHARDS });
    const b = guardedConsumer({ consumerGroup: group, cache: runner, cacheShards: TEST_CACHE_SHARDS });
    // a holds the keys while b's delivery arrives: b starts once a's handler has begun, and has a
    // minute to live, so it polls a's lease instead of failing its partition at once.
    const aStarted = a.nextHandlerStart();
    a.delay(300);
    const [ra, rb] = await Promise.all([
      a.invoke(orders('orders', 0, 5, ['k1', 'k2'])),
      aStarted.then(() => b.invoke(orders('orders', 1, 9, ['k1', 'k2']), fakeContext(60_000))),
    ]);
    expect(a.effects).toEqual(['k1', 'k2']);
    expect(b.effects).toEqual([]);
    expect(ra).toEqual({ batchItemFailures: [] });
    expect(rb).toEqual({ batchItemFailures: [] });
  });

  it('lets exactly one of two concurrent deliveries of a key process it; the other, with no time to wait, retries (G4)', async () => {
    const group = uniqueName('grp');
    const a = guardedConsumer({ consumerGroup: group, cache: runner, cacheShards: TEST_CACHE_SHARDS });
    const b = guardedConsumer({ consumerGroup: group, cache: runner, cacheShards: TEST_CACHE_SHARDS });
    // b has 5 s to live: all of it is the handler's reserve, so it fails the partition at once.
    const aStarted = a.nextHandlerStart();
    a.delay(300);
    const [ra, rb] = await Promise.all([
      a.invoke(orders('orders', 0, 5, ['k1', 'k2'])),
      aStarted.then(() => b.invoke(orders('orders', 1, 9, ['k1', 'k2']), fakeContext(5000))),
    ]);
    expect(a.effects).toEqual(['k1', 'k2']);
    expect(b.effects).toEqual([]);
    expect(ra).toEqual({ batchItemFailures: [] });
    expect(rb).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'orders-1', offset: 9 } }] });
    // Lambda retries b's batch: a completed, so it is now a proven duplicate.
    const retry = await b.invoke(orders('orders', 1, 9, ['k1', 'k2']));
    expect(retry).toEqual({ batchItemFailures: [] });
    expect(b.effects).toEqual([]);
  });

  it('lets a retry process keys a crashed invocation held, once its lease has expired (G5)', async () => {
    // Prepare: an invocation claims and dies (no settle, no release), with 3 s left to live.
    const group = uniqueName('grp');
    await claimAndDie({ consumerGroup: group, cache: runner }, orders('orders', 0, 0, ['z']), 3000);
    const c = guardedConsumer({ consumerGroup: group, cache: runner, cacheShards: TEST_CACHE_SHARDS });

    // Act: the first delivery has 4 s to live, too little to wait out a 3 s lease (it keeps at least
    // 5 s for its handler), so its partition is retried.
    const during = await c.invoke(orders('orders', 0, 0, ['z']), fakeContext(4000));
    await new Promise((r) => setTimeout(r, 3100));
    const after = await c.invoke(orders('orders', 0, 0, ['z']));

    // Assess
    expect(during).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'orders-0', offset: 0 } }] });
    expect(after).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual(['z']);
  });

  it("waits out a crashed holder's lease that ends within its own time instead of failing the partition (issue 17)", async () => {
    // Prepare: an invocation claims and dies with 1.5 s left; the next delivery has a minute.
    const group = uniqueName('grp');
    await claimAndDie({ consumerGroup: group, cache: runner }, orders('orders', 0, 0, ['w', 'x']), 1500);
    const c = guardedConsumer({ consumerGroup: group, cache: runner, cacheShards: TEST_CACHE_SHARDS });

    // Act
    const first = await c.invoke(orders('orders', 0, 0, ['w', 'x', 'y']), fakeContext(60_000));

    // Assess: processed on this delivery, each key once (G4: never while the lease was live).
    expect(first).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual(['w', 'x', 'y']);
  });

  it('hands the handler an event of the same shape with only the records to process', async () => {
    const group = uniqueName('grp');
    const seen: unknown[] = [];
    const middy = (await import('@middy/core')).default;
    const handler = middy()
      .use(mskGuard({ consumerGroup: group, cache: runner, cacheShards: TEST_CACHE_SHARDS }))
      .handler(async (event: unknown) => {
        seen.push(event);
      });
    await handler(encodeKafkaEvent(orders('orders', 0, 0, ['a'])) as never, fakeContext());
    const response = await handler(
      encodeKafkaEvent([...orders('orders', 0, 0, ['a']), ...orders('orders', 0, 1, ['b'])]) as never,
      fakeContext(),
    );
    expect(response).toBeUndefined();
    const second = seen[1] as { eventSource: string; records: Record<string, { offset: number }[]> };
    expect(second.eventSource).toBe('aws:kafka');
    expect(Object.keys(second.records)).toEqual(['orders-0']);
    expect(second.records['orders-0']?.map((r) => r.offset)).toEqual([1]);
  });

  it('skips the handler when every record is a duplicate, and answers success', async () => {
    const c = consumer();
    await c.invoke(orders('orders', 0, 0, ['a']));
    const again = await c.invoke(orders('orders', 0, 0, ['a']));
    expect(again).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual(['a']);
  });

  it("rejects a record without a key under onMissingKey 'reject', stopping only its partition (G6)", async () => {
    const c = consumer({ keyFallback: 'none', onMissingKey: 'reject' });
    const noKey = { topic: 'orders', partition: 1, offset: 4, value: 'x' };
    const response = await c.invoke([
      ...orders('orders', 0, 0, ['a']),
      noKey,
      ...orders('orders', 1, 5, ['b']),
    ]);
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'orders-1', offset: 4 } }],
    });
    expect(c.effects).toEqual(['a']);
  });

  it('fails a malformed event with a typed error naming the record (G6)', async () => {
    const c = consumer();
    const middy = (await import('@middy/core')).default;
    const handler = middy()
      .use(mskGuard({ consumerGroup: uniqueName('grp'), cache: runner, cacheShards: TEST_CACHE_SHARDS }))
      .handler(async () => {});
    const bad = {
      eventSource: 'aws:kafka',
      records: { 'orders-0': [{ topic: 'orders', partition: 0, offset: -1 }] },
    };
    await expect(handler(bad as never, fakeContext())).rejects.toBeInstanceOf(InvalidEventError);
    expect(c.effects).toEqual([]);
  });

  it.each([
    [
      'a value that is not base64',
      (r: Record<string, unknown>) => Object.assign(r, { value: 'not base64!' }),
      /value is not valid base64/,
    ],
    [
      'a key that is not base64',
      (r: Record<string, unknown>) => Object.assign(r, { key: 'k=y=' }),
      /key is not valid base64/,
    ],
    [
      'a header byte out of range',
      (r: Record<string, unknown>) =>
        Object.assign(r, { headers: [...(r.headers as object[]), { trace: [1, 300] }] }),
      /header "trace" byte 1 is number 300/,
    ],
    [
      'a byte out of range in the key header itself (read unchecked to derive the key)',
      (r: Record<string, unknown>) => Object.assign(r, { headers: [{ 'idempotency-key': [99, 300] }] }),
      /header "idempotency-key" byte 1 is number 300/,
    ],
    [
      'an element of the key header that is no number (read unchecked, deriving the key throws first)',
      (r: Record<string, unknown>) =>
        Object.assign(r, { headers: [{ 'idempotency-key': [99, JSON.parse('{"toString":0}')] }] }),
      /header "idempotency-key" byte 1 is an object/,
    ],
  ])('rejects an event with %s, found while its claim is out, and gives the claim back (G6)', async (_, spoil, reason) => {
    // Prepare: payload bytes are checked while the claim is in flight, so the claim was taken.
    const group = uniqueName('grp');
    const c = guardedConsumer({ consumerGroup: group, cache: runner, cacheShards: TEST_CACHE_SHARDS });
    const event = encodeKafkaEvent(orders('orders', 0, 0, ['a', 'b', 'c']));
    spoil(event.records['orders-0']![2] as unknown as Record<string, unknown>);
    const middy = (await import('@middy/core')).default;
    let handled = 0;
    const handler = middy()
      .use(mskGuard({ consumerGroup: group, cache: runner, cacheShards: TEST_CACHE_SHARDS }))
      .handler(async () => {
        handled++;
      });

    // Act
    const outcome = handler(event as never, fakeContext());

    // Assess: typed, naming the record; no handler call; and no lease left behind (had one stayed,
    // the valid delivery below would be answered "in progress" and come back as failures).
    const error = await outcome.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as InvalidEventError).record).toBe('orders-0@2');
    expect((error as Error).message).toMatch(reason);
    expect(handled).toBe(0);
    expect(await c.invoke(orders('orders', 0, 0, ['a', 'b', 'c']))).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual(['a', 'b', 'c']);
  });

  it('checks payload bytes before a key function or JSON path could see them (G6)', async () => {
    // Prepare: keys from user code are never derived from bytes not yet known to be valid.
    const seen: string[] = [];
    const middy = (await import('@middy/core')).default;
    const handler = middy()
      .use(
        mskGuard({
          consumerGroup: uniqueName('grp'),
          cache: runner,
          cacheShards: TEST_CACHE_SHARDS,
          keySources: [
            {
              type: 'function',
              fn: (record) => {
                seen.push(record.coordinate);
                return record.value?.toString('utf8');
              },
            },
          ],
        }),
      )
      .handler(async () => {});
    const event = encodeKafkaEvent(orders('orders', 0, 0, ['a', 'b']));
    (event.records['orders-0']![1] as { value: string }).value = 'not base64!';

    // Act + Assess
    await expect(handler(event as never, fakeContext())).rejects.toThrow(/value is not valid base64/);
    expect(seen).toEqual([]);
  });
});
