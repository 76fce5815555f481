// What both cache-blip test files share (cache-blips.lost-replies.test.ts and
// cache-blips.outages.test.ts): the suite's own Toxiproxy proxies in front of the real Redis and
// REST endpoint, a cache runner a fault can be armed on, the guarded consumer, and `run`, which
// drives it through a Lambda poller simulator with the ESM's default retry budget (3 retries, no
// pause between them: decision 0011), asserts every key's effect exactly once, nothing lost and
// nothing sent to the on-failure destination, and adds the scenario's row to the file's table.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, expect } from 'vitest';
import { ToxiproxyClient } from '#local/toxiproxy.ts';
import { RespScriptRunner } from '#shared/cache/resp.ts';
import type { LuaScript, ScriptArg, ScriptRunner } from '#shared/cache/script-runner.ts';
import { UpstashScriptRunner } from '#shared/cache/upstash.ts';
import { mskGuard } from '#shared/middleware/mskGuard.ts';
import { type KafkaEvent, processRecordsInOrder } from '#shared/msk/index.ts';
import { useCheckpointStore } from '#test/support/checkpoint-fixture.ts';
import { LambdaSimulator } from '#test/support/lambda-sim.ts';
import { TEST_CACHE_SHARDS } from '#test/support/runners.ts';
import { stackVar, uniqueName } from '#test/support/stack.ts';

export type Adapter = 'resp' | 'upstash';
type Handler = (event: unknown, context: Context) => Promise<unknown>;

interface Armed {
  script: string;
  before: () => Promise<unknown>;
  after: () => Promise<unknown>;
}

/** A fault being applied: calls of `script` that start while it is `joining` meet it too. */
interface Active {
  script: string;
  joining: boolean;
  ready: Promise<unknown>;
  inflight: number;
  after: () => Promise<unknown>;
}

/**
 * Runs `before` right before the next call of a script, and `after` once it settled. With
 * `cacheShards` > 1 a step is one call per shard, sent together: the calls that start while the
 * fault is being set up join it, as they would meet the same outage, and `after` runs once they
 * all settled.
 */
export class ArmedRunner implements ScriptRunner {
  public constructor(
    private readonly inner: ScriptRunner,
    private readonly slot: { armed?: Armed | undefined; active?: Active | undefined } = {},
  ) {}
  /** A runner with a client of its own (a new container's), armed by the same calls to `arm`. */
  public fork(inner: ScriptRunner): ArmedRunner {
    return new ArmedRunner(inner, this.slot);
  }
  public get kind(): string {
    return this.inner.kind;
  }
  public arm(script: string, before: () => Promise<unknown>, after: () => Promise<unknown>): void {
    this.slot.armed = { script, before, after };
  }
  public async run(script: LuaScript, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    const armed = this.slot.armed?.script === script.name ? this.slot.armed : undefined;
    let active = this.slot.active;
    if (armed) {
      this.slot.armed = undefined;
      active = { script: script.name, joining: true, ready: armed.before(), inflight: 0, after: armed.after };
      this.slot.active = active;
      void active.ready.then(() => {
        (active as Active).joining = false;
      });
    } else if (!(active?.joining && active.script === script.name)) {
      return this.inner.run(script, keys, args);
    }
    const fault = active as Active;
    fault.inflight++;
    await fault.ready;
    try {
      return await this.inner.run(script, keys, args);
    } finally {
      if (--fault.inflight === 0) {
        if (this.slot.active === fault) this.slot.active = undefined;
        await fault.after();
      }
    }
  }
  public close(): Promise<void> {
    return this.inner.close();
  }
}

interface Row {
  scenario: string;
  adapter: Adapter;
  invocations: number;
  failed: number;
  keys: number;
  min: number;
  max: number;
  lost: number;
  waitMs: number;
  onFailure: number;
}

/**
 * For the `describe` of a cache-blip test file: the checkpoint store, the suite's proxies (created
 * before its tests, deleted after them, when the file's table of scenarios is printed under
 * `title`), and the helpers that run a scenario through them.
 */
export function useCacheBlipsFixture(title: string) {
  const table: Row[] = [];
  const { store } = useCheckpointStore();
  const toxi = ToxiproxyClient.fromEnv();
  // This suite's own proxies (ephemeral ports), so its toxics never touch another suite's traffic.
  const proxies = { resp: uniqueName('blip-redis'), upstash: uniqueName('blip-rest') };
  const listen: Record<Adapter, string> = { resp: '', upstash: '' };

  beforeAll(async () => {
    const upstream = (url: string) => new URL(url).host;
    for (const [adapter, name, url] of [
      ['resp', proxies.resp, stackVar('REDIS_URL')],
      ['upstash', proxies.upstash, stackVar('UPSTASH_REDIS_REST_URL')],
    ] as const) {
      const created = await toxi.createProxy({ name, listen: '127.0.0.1:0', upstream: upstream(url) });
      listen[adapter] = created.listen;
    }
  });
  afterAll(async () => {
    await toxi.deleteProxy(proxies.resp);
    await toxi.deleteProxy(proxies.upstash);
    process.stdout.write(
      `\n${title}\n${['scenario'.padEnd(44), 'adapter', 'invocations', 'failed', 'keys', 'min', 'max', 'lost', 'longest wait ms', 'on-failure'].join('\t')}\n${table
        .map((r) =>
          [
            r.scenario.padEnd(44),
            r.adapter,
            r.invocations,
            r.failed,
            r.keys,
            r.min,
            r.max,
            r.lost,
            r.waitMs,
            r.onFailure,
          ].join('\t'),
        )
        .join('\n')}\n`,
    );
  });

  function runnerFor(adapter: Adapter): ArmedRunner {
    return new ArmedRunner(clientFor(adapter));
  }

  function clientFor(adapter: Adapter): ScriptRunner {
    return adapter === 'resp'
      ? new RespScriptRunner({ url: `redis://${listen.resp}`, timeoutMs: 1000 })
      : new UpstashScriptRunner({
          url: `http://${listen.upstash}`,
          token: stackVar('UPSTASH_REDIS_REST_TOKEN'),
          timeoutMs: 1000,
        });
  }

  /**
   * The guarded consumer. `container: 'new'` builds a new one for every invocation, with a cache
   * client of its own (a cold start: nothing remembered), `'same'` keeps one (a warm container).
   */
  function consumer(
    group: string,
    runner: ArmedRunner,
    adapter: Adapter,
    container: 'same' | 'new',
    failOnce: Set<string>,
    throwNext: { armed: boolean },
  ) {
    const effects = new Map<string, number>();
    const clients: ScriptRunner[] = [];
    const build = (cache: ScriptRunner): Handler =>
      middy<KafkaEvent, unknown, Error, Context>({ timeoutEarlyInMillis: 0 })
        .use(
          mskGuard({
            consumerGroup: group,
            cache,
            cacheShards: TEST_CACHE_SHARDS,
            checkpoints: store,
            leaseMarginMs: 1000,
          }),
        )
        .handler(async (event) => {
          if (throwNext.armed) {
            throwNext.armed = false;
            throw new Error('injected: the handler fails');
          }
          const { response } = await processRecordsInOrder(event, (record) => {
            const key = record.lastHeader('idempotency-key')?.toString() ?? '';
            if (failOnce.delete(key)) throw new Error(`injected: ${key} fails`);
            effects.set(key, (effects.get(key) ?? 0) + 1);
          });
          return response;
        }) as unknown as Handler;
    const warm = build(runner);
    const cold = (): Handler => {
      const client = runner.fork(clientFor(adapter));
      clients.push(client);
      return build(client);
    };
    const handler: Handler = (event, context) => (container === 'same' ? warm : cold())(event, context);
    return { effects, handler, close: () => Promise.all(clients.map((c) => c.close())) };
  }

  /** Drains `records` keys over 3 partitions through the simulator; `between` injects the fault. */
  async function run(
    scenario: string,
    adapter: Adapter,
    options: {
      records?: number;
      container?: 'same' | 'new';
      failOnce?: string[];
      /** The invocation whose handler throws (its leases are then released, not completed). */
      throwAt?: number;
      between?: (invocation: number, runner: ArmedRunner) => Promise<void> | void;
    },
  ): Promise<Row> {
    const group = uniqueName('blip');
    const runner = runnerFor(adapter);
    const failOnce = new Set(options.failOnce ?? []);
    const throwNext = { armed: false };
    const container = options.container ?? 'same';
    const { effects, handler, close } = consumer(group, runner, adapter, container, failOnce, throwNext);
    // 10 s to live: 5 s of it kept for the handler, up to 5 s to wait for a lease (11 s long).
    const sim = new LambdaSimulator('orders', {
      batchSize: 10,
      timeoutMs: 10_000,
      retryAttempts: 3,
      maxInvocations: 400,
    });
    // 90 keys over 3 partitions: 3 batches of 10 per partition, so invocation 1 has work to blip.
    const unique = Array.from({ length: options.records ?? 90 }, (_, i) => `k${i}`);
    for (let p = 0; p < 3; p++)
      sim.produce(
        p,
        unique.filter((_, i) => i % 3 === p),
      );
    try {
      await sim.drain(handler, (i) => {
        if (i === options.throwAt) throwNext.armed = true;
        return options.between?.(i, runner);
      });
    } finally {
      await toxi.resetProxy(proxies[adapter]);
      await runner.close();
      await close();
    }
    const counts = unique.map((k) => effects.get(k) ?? 0);
    const row: Row = {
      scenario,
      adapter,
      invocations: sim.outcomes.length,
      failed: sim.outcomes.filter((o) => o !== 'success').length,
      keys: unique.length,
      min: Math.min(...counts),
      max: Math.max(...counts),
      lost: counts.filter((n) => n === 0).length,
      waitMs: Math.round(sim.longestWaitMs),
      onFailure: sim.onFailure.length,
    };
    table.push(row);
    expect(row).toMatchObject({ min: 1, max: 1, lost: 0, onFailure: 0 });
    return row;
  }

  /**
   * A `between` hook that, before invocation `at`, arms a fault on the adapter's proxy for the next
   * call of `script`: `fault(proxy)` gives what to do before the call and what undoes it after.
   */
  const faultAt =
    (
      script: string,
      adapter: Adapter,
      at: number,
      fault: (proxy: string) => { before: () => Promise<unknown>; after: () => Promise<unknown> },
    ) =>
    (i: number, runner: ArmedRunner) => {
      if (i !== at) return;
      const { before, after } = fault(proxies[adapter]);
      runner.arm(script, before, after);
    };

  return { toxi, proxies, run, faultAt };
}
