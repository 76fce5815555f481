/**
 * The three consumers `npm run bench -- e2e` compares, behind the same poller and with the same
 * per-record work (decode the order, count one effect per record handed over):
 * - `mskguard`: Middy + `mskGuard` (RESP runner on the local Redis, DynamoDB checkpoints);
 * - `bare`: the same Middy handler without middleware: the ceiling;
 * - `powertools`: the handler calls `makeIdempotent` (Powertools' cache layer on @redis/client)
 *   once per record, as a per-record idempotency peer does.
 * Each one also reports where its invocations spent their time (see {@link PhaseClock}).
 */

import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { CachePersistenceLayer } from '@aws-lambda-powertools/idempotency/cache';
import { Logger } from '@aws-lambda-powertools/logger';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { ORDER_KEY_SOURCES, readOrder } from '#functions/orders.ts';
import { MetricsRecorder } from '#local/pipeline/metrics.ts';
import type { LuaScript, ScriptRunner } from '#shared/cache/script-runner.ts';
import type { DynamoDBSender } from '#shared/checkpoints/dynamodb.ts';
import { DynamoCheckpointStore } from '#shared/checkpoints/dynamodb-store.ts';
import { mskGuard } from '#shared/middleware/mskGuard.ts';
import { type KafkaEvent, type ParsedRecord, processRecordsInOrder } from '#shared/msk/index.ts';
import type { E2eImpl } from './e2e-cli.ts';

/** The implementations, in table order. */

export { E2E_IMPLS, type E2eImpl } from './e2e-cli.ts';

/**
 * Accumulated milliseconds and counts per named phase: `prepare` / `handler` / `settle` of the
 * middleware, `redis:<script>` and `dynamodb:<command>` round trips as the client saw them.
 */
export class PhaseClock {
  /** Phase name → occurrences and their total milliseconds. */
  public readonly phases = new Map<string, { calls: number; ms: number }>();

  /** Adds one occurrence of `name` that took `ms`. */
  public add(name: string, ms: number): void {
    const phase = this.phases.get(name) ?? { calls: 0, ms: 0 };
    phase.calls++;
    phase.ms += ms;
    this.phases.set(name, phase);
  }

  /** Times `promise` as one occurrence of `name`. */
  public async time<T>(name: string, promise: Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await promise;
    } finally {
      this.add(name, performance.now() - started);
    }
  }

  /** Forgets every phase (a new run starts). */
  public reset(): void {
    this.phases.clear();
  }
}

/** A script runner that times each script call on `clock` (one call = one RESP round trip). */
export function timedRunner(inner: ScriptRunner, clock: PhaseClock): ScriptRunner {
  return {
    kind: inner.kind,
    run: (script: LuaScript, keys: readonly string[], args: readonly string[]) =>
      clock.time(`redis:${script.name}`, inner.run(script, keys, args)),
    close: () => inner.close(),
  };
}

/** A DynamoDB client that times each command on `clock`, by command name. */
export function timedSender(inner: DynamoDBSender, clock: PhaseClock): DynamoDBSender {
  return {
    send: (command: object) =>
      clock.time(`dynamodb:${command.constructor.name.replace(/Command$/, '')}`, inner.send(command)),
  };
}

/** What every consumer of a worker process shares, like a warm Lambda container's clients. */
export interface ConsumerDeps {
  /** The local Redis over RESP, timed. */
  readonly runner: ScriptRunner;
  /** The local DynamoDB, timed. */
  readonly dynamodb: DynamoDBSender;
  readonly checkpointTable: string;
  /** A connected @redis/client for Powertools' cache persistence layer. */
  readonly redisClient: unknown;
  readonly clock: PhaseClock;
}

/** One consumer, for one consumer group: the handler to hand the poller and what it did. */
export interface BenchConsumer {
  readonly handler: (event: KafkaEvent, context: Context) => Promise<unknown>;
  /** Order id → how many times the effect ran for it. */
  readonly effects: Map<string, number>;
  /** mskguard's metrics, summed (withheld per tier); empty for the others. */
  readonly withheld: Record<string, number>;
}

type Effect = (orderId: string) => void;

/** The idempotency key as mskguard's key sources find it: the header, else the order id. */
function businessKey(record: ParsedRecord, orderId: string): string {
  return record.lastHeader('idempotency-key')?.toString('utf8') ?? orderId;
}

/** Times the handler and the middleware phases around it; `inner` must be used after `mskGuard`. */
function phaseTimers(clock: PhaseClock): { outer: Middleware; inner: Middleware } {
  const marks = new WeakMap<object, { start: number; handlerStart?: number; handlerEnd?: number }>();
  const outer: Middleware = {
    before: (request) => {
      marks.set(request, { start: performance.now() });
    },
    after: (request) => {
      const m = marks.get(request);
      if (m?.handlerEnd !== undefined) clock.add('settle', performance.now() - m.handlerEnd);
    },
  };
  const inner: Middleware = {
    before: (request) => {
      const m = marks.get(request);
      if (!m) return;
      m.handlerStart = performance.now();
      clock.add('prepare', m.handlerStart - m.start);
    },
    after: (request) => {
      const m = marks.get(request);
      if (m?.handlerStart === undefined) return;
      m.handlerEnd = performance.now();
      clock.add('handler', m.handlerEnd - m.handlerStart);
    },
  };
  return { outer, inner };
}

type Middleware = MiddlewareObj<KafkaEvent, unknown, Error, Context>;

type KafkaHandler = BenchConsumer['handler'];
type Body = (event: KafkaEvent, context: Context) => Promise<unknown>;

/** The bare handler: every record's effect, in order per partition. */
function bareBody(effect: Effect): Body {
  return async (event) =>
    (await processRecordsInOrder(event, (record) => effect(readOrder(record).orderId))).response;
}

/** The per-record peer: `makeIdempotent` around each record's effect, keys prefixed by the group. */
function powertoolsBody(effect: Effect, group: string, deps: ConsumerDeps): Body {
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'key', expiresAfterSeconds: 3600 });
  const idempotent = makeIdempotent(
    async (payload: { key: string; orderId: string }) => {
      effect(payload.orderId);
      return true;
    },
    {
      persistenceStore: new CachePersistenceLayer({ client: deps.redisClient as never }),
      config,
      keyPrefix: group,
    },
  );
  return async (event, context) => {
    // As Powertools asks of a handler: the in-progress record then expires with the invocation.
    config.registerLambdaContext(context);
    const result = await processRecordsInOrder(event, async (record) => {
      const orderId = readOrder(record).orderId;
      await idempotent({ key: businessKey(record, orderId), orderId });
    });
    return result.response;
  };
}

/** The bare body behind `mskGuard`, with the phase timers around the middleware. */
function guardedHandler(
  body: Body,
  group: string,
  deps: ConsumerDeps,
  metrics: MetricsRecorder,
): KafkaHandler {
  const { outer, inner } = phaseTimers(deps.clock);
  return middy<KafkaEvent, unknown, Error, Context>()
    .use(outer)
    .use(
      mskGuard({
        consumerGroup: group,
        cache: deps.runner,
        checkpoints: new DynamoCheckpointStore(deps.dynamodb, deps.checkpointTable),
        keySources: ORDER_KEY_SOURCES,
        // A deployment logs one JSON line per batch; here stdout carries the worker's answer.
        logger: new Logger({ serviceName: 'mskguard', logLevel: 'SILENT' }),
        metrics,
      }),
    )
    .use(inner)
    .handler(body);
}

/**
 * Builds the consumer of `impl` for consumer group `group`: a new guard (or Powertools key
 * prefix) per group, over the shared clients.
 *
 * @example
 * ```ts
 * const consumer = createBenchConsumer('mskguard', 'bench-e2e-1', deps);
 * new LambdaKafkaPoller({ brokers, topic, groupId: 'bench-e2e-1', handler: consumer.handler });
 * ```
 */
export function createBenchConsumer(impl: E2eImpl, group: string, deps: ConsumerDeps): BenchConsumer {
  const effects = new Map<string, number>();
  const effect: Effect = (orderId) => {
    effects.set(orderId, (effects.get(orderId) ?? 0) + 1);
  };
  if (impl === 'mskguard') {
    const metrics = new MetricsRecorder();
    const handler = guardedHandler(bareBody(effect), group, deps, metrics);
    return { handler, effects, withheld: metrics.totals.withheld };
  }
  const body = impl === 'bare' ? bareBody(effect) : powertoolsBody(effect, group, deps);
  // Without middleware the whole invocation is the handler phase (mskguard's is timed by its timers).
  const timed: Body = (event, context) => deps.clock.time('handler', body(event, context));
  return { handler: middy<KafkaEvent, unknown, Error, Context>().handler(timed), effects, withheld: {} };
}
