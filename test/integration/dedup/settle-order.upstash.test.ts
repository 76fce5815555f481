// G1 across a failed checkpoint, over Upstash REST (decision 0014; shared/middleware/settle.ts).
// Without staged effects, settle sends the complete and the checkpoint write side by side. When
// the write fails, the invocation fails and its onError gives the leases back. Over Upstash the
// complete and that release are separate HTTP requests: should the release reach Redis first, the
// complete then finds the owner released and marks nothing, and the retry processes records whose
// effects already happened. So settle waits for the complete before it rethrows. Here the complete's
// requests go through a Toxiproxy proxy of this suite's own that delays them on the way to the
// project's REST endpoint (real redis-server behind it), and the checkpoint write meets a DynamoDB
// Local table that is not there. The suite then waits until every script call has answered,
// so the keys' state is final whatever the order was; no assertion is on time.
import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToxiproxyClient } from '#local/toxiproxy.ts';
import type { LuaScript, ScriptArg, ScriptRunner } from '#shared/cache/script-runner.ts';
import { UpstashScriptRunner } from '#shared/cache/upstash.ts';
import { DynamoCheckpointStore } from '#shared/checkpoints/dynamodb-store.ts';
import { mskGuard } from '#shared/middleware/mskGuard.ts';
import {
  encodeKafkaEvent,
  type KafkaEvent,
  type ParsedRecord,
  processRecordsInOrder,
} from '#shared/msk/index.ts';
import { storeWith, useCheckpointStore } from '#test/support/checkpoint-fixture.ts';
import { fakeContext, orders } from '#test/support/guarded.ts';
import { stackVar, uniqueName } from '#test/support/stack.ts';

const toxiproxyUrl = process.env.TOXIPROXY_URL;

/** How long the slow proxy holds each request on its way in: far longer than a failed write and a release. */
const COMPLETE_DELAY_MS = 2000;

/**
 * Sends `complete` through `slow` and every other script through `fast` (two clients, as two HTTP
 * requests of one Upstash client can be), keeping each call's reply in the order the replies come
 * back and every call in flight, so the test can wait for the last one.
 */
class SplitRunner implements ScriptRunner {
  public readonly kind = 'upstash';
  public readonly replies: { script: string; reply: unknown }[] = [];
  readonly #inFlight = new Set<Promise<unknown>>();

  public constructor(
    private readonly fast: ScriptRunner,
    private readonly slow: ScriptRunner,
  ) {}

  public run(script: LuaScript, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    const runner = script.name === 'complete' ? this.slow : this.fast;
    const call = runner.run(script, keys, args).then((reply) => {
      this.replies.push({ script: script.name, reply });
      return reply;
    });
    this.#inFlight.add(call);
    const done = () => this.#inFlight.delete(call);
    call.then(done, done);
    return call;
  }

  /** Resolves once no call is in flight (a complete the invocation did not wait for included). */
  public async drained(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  public async close(): Promise<void> {
    await Promise.all([this.fast.close(), this.slow.close()]);
  }
}

describe.skipIf(!toxiproxyUrl)('settle with a slow complete and a failed checkpoint (Upstash REST)', () => {
  const { ddb, store } = useCheckpointStore();
  const toxi = new ToxiproxyClient(toxiproxyUrl ?? 'http://unset');
  const proxy = uniqueName('settle-order');
  const token = stackVar('UPSTASH_REDIS_REST_TOKEN');
  let runner: SplitRunner;

  beforeAll(async () => {
    const endpoint = new URL(stackVar('UPSTASH_REDIS_REST_URL'));
    const created = await toxi.createProxy({
      name: proxy,
      listen: '127.0.0.1:0',
      upstream: `${endpoint.hostname}:${endpoint.port}`,
    });
    // Upstream: the request itself arrives late, so the complete runs in Redis late (a delayed
    // reply alone would let it run first whatever settle does).
    await toxi.addToxic(proxy, {
      type: 'latency',
      stream: 'upstream',
      attributes: { latency: COMPLETE_DELAY_MS },
    });
    const url = stackVar('UPSTASH_REDIS_REST_URL');
    runner = new SplitRunner(
      new UpstashScriptRunner({ url, token }),
      // One request each (no retry), and a timeout the delay fits in: a retried complete would
      // blur which request reached Redis.
      new UpstashScriptRunner({
        url: `http://${created.listen}`,
        token,
        retries: 0,
        timeoutMs: 4 * COMPLETE_DELAY_MS,
      }),
    );
  });
  afterAll(async () => {
    await runner?.close();
    await toxi.deleteProxy(proxy).catch(() => {});
  });

  it('completes the keys before the leases are given back, so the retry withholds them (G1)', async () => {
    // Prepare: the checkpoint write goes to a table that is not there (as after it was deleted)
    // until `tableBack`; loads and the rest go to the live table.
    let tableBack = false;
    const gone = new DynamoCheckpointStore(ddb, `gone-${randomUUID()}`);
    const checkpoints = storeWith(store, {
      advance: (group, updates, meta) => (tableBack ? store : gone).advance(group, updates, meta),
    });
    const effects: string[] = [];
    const handler = middy<KafkaEvent, unknown, Error, Context>()
      .use(mskGuard({ consumerGroup: uniqueName('settle-order'), cache: runner, checkpoints }))
      .handler(
        async (event) =>
          (
            await processRecordsInOrder(event, (record: ParsedRecord) => {
              effects.push(record.lastHeader('idempotency-key')?.toString() ?? '');
            })
          ).response,
      );
    const batch = encodeKafkaEvent(orders('orders', 0, 0, ['a', 'b', 'c']));

    // Act: the invocation fails on its checkpoint; every call it sent answers; Lambda's retry.
    await expect(handler(batch, fakeContext())).rejects.toThrow(/gone-/);
    await runner.drained();
    tableBack = true;
    const retry = await handler(batch, fakeContext());

    // Assess: the complete reached Redis while the owner still held its leases (completed: 1,
    // nothing released), so the give-back found nothing to release (0). Had the release gone
    // first, the complete would answer [0, 0] and the retry would process a, b and c again.
    expect(runner.replies.slice(0, 3).map((r) => [r.script, r.reply])).toEqual([
      ['claim', expect.anything()],
      ['complete', [1, 0]],
      ['release', 0],
    ]);
    expect(retry).toEqual({ batchItemFailures: [] });
    expect(effects).toEqual(['a', 'b', 'c']);
  });
});
