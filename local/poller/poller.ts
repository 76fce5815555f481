import { EventEmitter } from 'node:events';
import { type Consumer, type EachBatchPayload, Kafka, logLevel } from 'kafkajs';
import { type EncodeKafkaEventOptions, encodeKafkaEvent, KafkaEventSource } from '#shared/msk/index.ts';
import { type PolledRecord, splitIntoBatches, toPolledRecord } from './batches.ts';
import { type InvocationResult, invokeBatch } from './invoke.ts';
import { failedBatch, invokedEvent } from './reports.ts';
import { type PollerSettings, resolvePollerSettings, retryDelayMs } from './settings.ts';
import {
  type FailedBatch,
  type PollerEvents,
  type PollerOptions,
  StartingPosition,
  type StopReason,
} from './types.ts';

const JOIN_TIMEOUT_MS = 60_000;

/**
 * Emulates the Lambda poller of an MSK / self-managed Kafka event source mapping on one machine: a
 * kafkajs consumer in the mapping's consumer group reads the topic and invokes a handler in-process
 * with Lambda's event and a Lambda-like context.
 *
 * Reproduced:
 * - the event format (`aws:kafka`, `eventSourceArn`, `bootstrapServers`, records under
 *   `"topic-partition"`, base64 key and value, headers as signed byte arrays), built by `encodeKafkaEvent`;
 * - batches of at most `batchSize` records and 6 MB of event JSON, in offset order;
 * - the batching window, at the fetch: a fetch waits up to `batchingWindowMs` for 6 MB of records;
 * - at most one invocation per partition at a time, partitions in parallel;
 * - a context whose `getRemainingTimeInMillis()` counts down from `timeoutMs` and a new
 *   `awsRequestId` per invocation; an invocation past the timeout fails;
 * - offsets committed only after success: a batch's last offset + 1; with a partial-batch response,
 *   up to the lowest failed offset, then redelivery from it (seek);
 * - a throw, a timeout, an invalid response or a partial-batch response retries from the failing
 *   offset, at most `maximumRetryAttempts` times per failing offset (-1: infinite, 10 with an
 *   `onFailure` hook), at once: Lambda documents no delay between retries, so none is assumed
 *   (`retryBackoffMs` opts into exponential backoff); the partition is blocked meanwhile, others go
 *   on; then the batch goes to the on-failure hook and the poller skips past it
 *   (docs/decisions/0011-kafka-retry-pacing.md).
 *
 * Not reproduced: one event holds one partition (Lambda may mix partitions in one event); splitting
 * batches on error (`BisectBatchOnFunctionError`); `MaximumRecordAgeInSeconds`; provisioned pollers
 * and their scaling (one consumer here); the window does not stop early once `batchSize` records
 * are there (a fetch waits for bytes, not records); a timed-out handler is not stopped, it runs on
 * in the background; a crash leaves the group cleanly instead of waiting for the session timeout;
 * record timestamp types (always `CREATE_TIME`); authentication (plaintext brokers only).
 *
 * @example
 * ```ts
 * const poller = new LambdaKafkaPoller({ brokers: ['127.0.0.1:19092'], topic: 'orders', groupId: 'orders-consumer', handler });
 * poller.on('committed', ({ partition, offset }) => console.log(partition, offset));
 * await poller.start();
 * // ...
 * await poller.stop();
 * ```
 */
export class LambdaKafkaPoller extends EventEmitter<PollerEvents> {
  /** Batches given up after their retries, in order (also passed to `onFailure`). */
  public readonly failedBatches: FailedBatch[] = [];
  /** Resolves once the consumer has left the group: `'stopped'` by {@link stop}, `'crashed'` otherwise. */
  public readonly stopped: Promise<StopReason>;

  readonly #settings: PollerSettings;
  readonly #consumer: Consumer;
  readonly #committed = new Map<number, number>();
  /** Per partition: the offset that keeps failing and how many invocations failed at it. */
  readonly #failures = new Map<number, { offset: number; count: number }>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #halted = false;
  #state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  #resolveStopped: (reason: StopReason) => void = () => {};

  public constructor(options: PollerOptions) {
    super();
    this.#settings = resolvePollerSettings(options);
    const s = this.#settings;
    const kafka = new Kafka({
      clientId: s.functionName,
      brokers: [...s.brokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 5 },
    });
    this.#consumer = kafka.consumer({
      groupId: s.groupId,
      sessionTimeout: s.sessionTimeoutMs,
      heartbeatInterval: Math.max(100, Math.floor(s.sessionTimeoutMs / 10)),
      // The batching window is the fetch's wait: the broker answers at 6 MB or when the window ends.
      maxWaitTimeInMs: s.batchingWindowMs > 0 ? s.batchingWindowMs : 100,
      minBytes: s.batchingWindowMs > 0 ? s.maxPayloadBytes : 1,
      maxBytesPerPartition: s.maxPayloadBytes,
      maxBytes: s.maxPayloadBytes * 4,
    });
    this.stopped = new Promise((resolve) => {
      this.#resolveStopped = resolve;
    });
    this.#consumer.on(this.#consumer.events.CRASH, ({ payload }) => {
      this.emit('problem', payload.error);
      if (!payload.restart) void this.#shutdown('crashed');
    });
    this.#consumer.on(this.#consumer.events.GROUP_JOIN, () => this.#failures.clear());
  }

  /** Offsets this poller committed, by partition. */
  public committedOffsets(): ReadonlyMap<number, number> {
    return this.#committed;
  }

  /** Connects, joins the group and starts polling; resolves once the group has assigned partitions. */
  public async start(): Promise<void> {
    if (this.#state !== 'new')
      throw new Error('LambdaKafkaPoller.start(): a poller starts once; create a new one');
    this.#state = 'running';
    const consumer = this.#consumer;
    await consumer.connect();
    await consumer.subscribe({
      topics: [this.#settings.topic],
      fromBeginning: this.#settings.startingPosition === StartingPosition.trimHorizon,
    });
    let removeListener: () => void = () => {};
    let timer: NodeJS.Timeout | undefined;
    const joined = new Promise<void>((resolve, reject) => {
      removeListener = consumer.on(consumer.events.GROUP_JOIN, () => resolve());
      timer = setTimeout(
        () => reject(new Error(`poller did not join group ${this.#settings.groupId} within 60 s`)),
        JOIN_TIMEOUT_MS,
      );
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#settings.maxConcurrency,
      eachBatch: (payload) => this.#eachBatch(payload),
    });
    try {
      await joined;
    } finally {
      removeListener();
      clearTimeout(timer);
    }
  }

  /**
   * Stops polling like a disabled mapping: an invocation under way finishes and commits, no new
   * one starts, the consumer leaves the group. Resolves once it has.
   */
  public async stop(): Promise<void> {
    await this.#shutdown('stopped');
  }

  /** The poller process dies now: nothing more is committed, the group is left. */
  public crash(): void {
    this.#halted = true;
    setImmediate(() => void this.#shutdown('crashed'));
  }

  async #shutdown(reason: StopReason): Promise<void> {
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      await this.stopped;
      return;
    }
    this.#state = 'stopping';
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    try {
      await this.#consumer.disconnect();
    } finally {
      this.#state = 'stopped';
      this.#resolveStopped(reason);
    }
  }

  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const records = batch.messages.map((m) => toPolledRecord(batch.topic, batch.partition, m));
    for (const chunk of splitIntoBatches(records, this.#settings)) {
      if (this.#halted || this.#state !== 'running' || !payload.isRunning() || payload.isStale()) return;
      const proceed = await this.#runChunk(chunk, payload);
      if (!proceed) return;
      await payload.heartbeat();
    }
  }

  /** Invokes one batch and acts on the outcome; false when the rest of the fetch must not be invoked. */
  async #runChunk(chunk: PolledRecord[], payload: EachBatchPayload): Promise<boolean> {
    const s = this.#settings;
    const { topic, partition } = payload.batch;
    const first = chunk[0]!.offset;
    const last = chunk[chunk.length - 1]!.offset;
    const event = encodeKafkaEvent(chunk, this.#eventOptions());
    const previous = this.#failures.get(partition);
    const attempt = previous?.offset === first ? previous.count + 1 : 1;
    const result = await invokeBatch(event, {
      handler: s.handler,
      timeoutMs: s.timeoutMs,
      functionName: s.functionName,
      partitionKey: `${topic}-${partition}`,
      firstOffset: first,
    });
    const invoked = invokedEvent(chunk, event, attempt, result);
    this.emit('invoked', invoked);
    if (this.#halted) return false;

    if (result.outcome === 'success') {
      this.#failures.delete(partition);
      const next = s.afterSuccess(invoked);
      if (next === 'crash') {
        this.crash();
        return false;
      }
      const upTo = next === 'commit' ? last + 1 : Math.min(Math.max(next.redeliverFrom, first), last + 1);
      if (!(await this.#commit(topic, partition, upTo))) return false;
      if (upTo <= last) {
        this.#consumer.seek({ topic, partition, offset: String(upTo) });
        return false;
      }
      payload.resolveOffset(String(last));
      return true;
    }

    const from = result.retryFrom ?? first;
    if (from > first && !(await this.#commit(topic, partition, from))) return false;
    const count = previous?.offset === from ? previous.count + 1 : 1;
    if (count > s.maximumRetryAttempts) {
      this.#failures.delete(partition);
      await this.#giveUp(
        chunk.filter((r) => r.offset >= from),
        count,
        result,
      );
      if (!(await this.#commit(topic, partition, last + 1))) return false;
      payload.resolveOffset(String(last));
      return true;
    }
    this.#failures.set(partition, { offset: from, count });
    const delayMs = retryDelayMs(s.retryBackoffMs, count);
    this.emit('retried', {
      topic,
      partition,
      fromOffset: from,
      attempt: count,
      reason: result.outcome,
      delayMs,
    });
    this.#redeliver(topic, partition, from, delayMs, payload);
    return false;
  }

  #redeliver(
    topic: string,
    partition: number,
    from: number,
    delayMs: number,
    payload: EachBatchPayload,
  ): void {
    this.#consumer.seek({ topic, partition, offset: String(from) });
    if (delayMs === 0) return;
    // Paused, the partition is not fetched; the other partitions go on while it waits.
    const resume = payload.pause();
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#state === 'running') resume();
    }, delayMs);
    this.#timers.add(timer);
  }

  async #giveUp(skipped: PolledRecord[], attempts: number, result: InvocationResult): Promise<void> {
    const failure = failedBatch(skipped, attempts, result, this.#eventOptions());
    this.failedBatches.push(failure);
    try {
      await this.#settings.onFailure?.(failure);
    } catch (error) {
      this.emit('problem', error instanceof Error ? error : new Error(String(error)));
    }
    this.emit('failed', failure);
  }

  #eventOptions(): EncodeKafkaEventOptions {
    const s = this.#settings;
    return {
      eventSource: KafkaEventSource.msk,
      eventSourceArn: s.eventSourceArn,
      bootstrapServers: s.brokers.join(','),
    };
  }

  /** Commits `offset` unless this poller already committed as far; false when the commit failed. */
  async #commit(topic: string, partition: number, offset: number): Promise<boolean> {
    if (this.#halted) return false;
    if ((this.#committed.get(partition) ?? -1) >= offset) return true;
    try {
      await this.#consumer.commitOffsets([{ topic, partition, offset: String(offset) }]);
    } catch (error) {
      // Typically a rebalance: the partition's new owner reads from the last commit (the watermark withholds the rest).
      this.emit('problem', error instanceof Error ? error : new Error(String(error)));
      return false;
    }
    this.#committed.set(partition, offset);
    this.emit('committed', { topic, partition, offset });
    return true;
  }
}
